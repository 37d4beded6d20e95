#if canImport(Glibc)
import Glibc
#endif

/// The node's own secret: 32 random bytes in `<stateDir>/node.key` (0600),
/// made once by whichever moor process needs it first. Staging keys are
/// digests under it, so they cannot be predicted or collided from outside
/// the node. Losing it only renames future staging mounts; mounts staged
/// under the old key are still found (by the mount table) and released.
public struct NodeKey: Sendable, Hashable {
    let bytes: [UInt8]

    public static let length = 32

    /// For tests: a fixed key.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == Self.length, "a node key is \(Self.length) bytes")
        self.bytes = bytes
    }

    /// Reads the key under `root`, creating it if it is missing. Two
    /// processes creating it at once agree: each links its own complete
    /// file into place, link(2) refuses the second, and both read the winner.
    public static func load(stateRoot root: String) throws -> NodeKey {
        let path = root + "/node.key"
        if let key = try read(path) { return key }
        try Sys.mkdirs(root, mode: 0o700)
        let random = try Sys.read("/dev/urandom", offset: 0, count: length + 8)
        guard random.count == length + 8 else { throw MoorError(.system, "could not read \(length) random bytes for the node key") }
        // A name of its own per attempt: threads of one process race here too.
        let temporary = path + ".new." + SHA256.hex(random.suffix(8))
        try write(Array(random.prefix(length)), to: temporary)
        defer { try? Sys.unlink(temporary) }
        if let error = linkOnce(temporary, path) { throw error }
        guard let key = try read(path) else { throw MoorError(.system, "the node key \(path) could not be created") }
        return key
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = try Sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        defer { Sys.close(fd) }
        try Sys.writeAll(fd, bytes, path)
        try Sys.fsync(fd, path)
    }

    /// link(2), where an existing `to` (another process won) is no error.
    static func linkOnce(_ from: String, _ to: String) -> SystemCallError? {
        do {
            try Sys.link(from, to)
            return nil
        } catch {
            return error.errno == .fileExists ? nil : error
        }
    }

    static func read(_ path: String) throws -> NodeKey? {
        guard let bytes = try Sys.readFileIfPresent(path, limit: 4096) else { return nil }
        guard bytes.count == length else {
            throw MoorError(.system, "the node key \(path) is damaged (\(bytes.count) bytes, not \(length)); remove it and moor makes a new one")
        }
        return NodeKey(bytes: bytes)
    }
}
