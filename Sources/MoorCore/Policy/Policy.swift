#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// The node admin's limits on what volume definitions may touch, from
/// `/etc/moor/policy.json` (or `MOOR_POLICY`). Anyone who may run
/// `docker volume create` must not be able to format `/dev/sda`.
///
///     {"allowedDevices": ["/dev/disk/by-id/nvme-*"], "allowedFuseHelpers": ["sshfs"]}
///
/// A missing file means the defaults below. A malformed file, or one with
/// an unknown key, is an error: never "allow all".
public struct Policy: Sendable, Equatable {
    /// Glob patterns (fnmatch, `*` does not cross `/`) for `disk` devices. Default: none.
    public var allowedDevices: [String] = []
    /// FUSE helpers that may run. Default: sshfs.
    public var allowedFuseHelpers: [String] = ["sshfs"]
    /// Glob patterns for the host directory trees `bind` volumes may use
    /// (a match allows the directory and everything below it). Default: none.
    public var allowedHostPaths: [String] = []
    /// Glob patterns of node-local sparse disk names that any owner may use
    /// (every Kubernetes namespace, and Docker): the migration path from
    /// Docker to Kubernetes. Default: none, so a disk belongs to the owner
    /// that first staged it.
    public var sharedDisks: [String] = []

    /// Where it was read from, for messages.
    public var path: String = Policy.defaultPath

    public static let defaultPath = "/etc/moor/policy.json"
    static let keys = ["allowedDevices", "allowedFuseHelpers", "allowedHostPaths", "sharedDisks"]

    public init(path: String = Policy.defaultPath) { self.path = path }

    /// `MOOR_POLICY`, or the default path.
    public static var pathFromEnvironment: String {
        getenv("MOOR_POLICY").map { String(cString: $0) } ?? defaultPath
    }

    /// Loads `MOOR_POLICY` or the default path.
    public static func load(path: String) throws -> Policy {
        guard let bytes = try readIfPresent(path) else { return Policy(path: path) }
        return try parse(bytes, path: path)
    }

    static func readIfPresent(_ path: String) throws -> [UInt8]? {
        do {
            return try Sys.readFile(path, limit: 1 << 20)
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        }
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> Policy {
        let object: [String: [String]]
        do {
            object = try JSONDecoder().decode([String: [String]].self, from: Data(bytes))
        } catch {
            throw MoorError(.invalidOption, "policy \(path) is not valid: expected a JSON object whose values are arrays of strings (keys: \(keys.joined(separator: ", ")))")
        }
        var policy = Policy(path: path)
        for (key, value) in object {
            switch key {
            case "allowedDevices": policy.allowedDevices = value
            case "allowedFuseHelpers": policy.allowedFuseHelpers = value
            case "allowedHostPaths": policy.allowedHostPaths = value
            case "sharedDisks": policy.sharedDisks = value
            default:
                throw MoorError(.invalidOption, "policy \(path): unknown key '\(OptionError.printable(key))' (allowed: \(keys.joined(separator: ", ")))")
            }
        }
        return policy
    }

    /// Whether the sparse disk `name` may be used by owners other than its own.
    public func sharesDisk(_ name: String) -> Bool {
        sharedDisks.contains { Sys.globMatches($0, name) }
    }

    public func allowsDevice(_ path: String) -> Bool {
        allowedDevices.contains { Sys.globMatches($0, path) }
    }

    /// Whether `path` is inside an allowed host tree: `path` itself or one
    /// of its ancestors matches an `allowedHostPaths` pattern (fnmatch with
    /// FNM_PATHNAME, so `/srv/*` allows `/srv/a` and `/srv/a/b`, not `/srv`).
    /// Lexical only: `path` must be clean and absolute, and the caller must
    /// not follow symlinks in it (BindBackend refuses them).
    public func allowsHostPath(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let patterns = allowedHostPaths.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        var treeRoots = ["/"], current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            treeRoots.append(current)
        }
        return treeRoots.contains { root in patterns.contains { Sys.globMatches($0, root) } }
    }
}
