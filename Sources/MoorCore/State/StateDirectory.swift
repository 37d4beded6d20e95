#if canImport(Glibc)
import Glibc
#endif

/// Moor's own directory on the node (`/var/lib/moor`, or `MOOR_STATE_DIR`).
/// Everything the core creates lives under it, at paths built from
/// validated names and keys only:
///
///     staging/<key>        one staging mount per backend source
///     staging/<key>.json   what the kernel cannot tell about it (`StagingRecord`)
///     disks/<name>.img     sparse-file disks
///     disks/<name>.owner   whose each disk is (a namespace, Docker)
///     node.key             the node's secret for staging keys (`NodeKey`)
///     locks/<key>.lock     flock(2) files, never deleted
public struct StateDirectory: Sendable {
    public let root: String

    public static let defaultRoot = "/var/lib/moor"

    public init(root: String) {
        precondition(PathCheck.isCleanAbsolute(root), "state dir must be a clean absolute path")
        self.root = root
    }

    /// `MOOR_STATE_DIR` when set (one trailing `/` is allowed), else
    /// `/var/lib/moor`. Any other value is an error, never a silent fallback
    /// to the default: two doors on two state dirs would stage twice.
    public static func fromEnvironment() throws -> StateDirectory {
        guard let value = getenv("MOOR_STATE_DIR").map({ String(cString: $0) }), !value.isEmpty else {
            return StateDirectory(root: defaultRoot)
        }
        let trimmed = value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
        guard PathCheck.isCleanAbsolute(trimmed), trimmed != "/" else {
            throw MoorError(.invalidOption, "MOOR_STATE_DIR must be a clean absolute path other than / (no '..', '.' or '//'); it is '\(OptionError.printable(value))'")
        }
        return StateDirectory(root: trimmed)
    }

    public var stagingRoot: String { root + "/staging" }
    public var disksRoot: String { root + "/disks" }
    public var locksRoot: String { root + "/locks" }

    public func stagingPath(_ key: StagingKey) -> String { stagingRoot + "/" + key.rawValue }
    public func recordPath(_ key: StagingKey) -> String { stagingRoot + "/" + key.rawValue + ".json" }
    public func diskImagePath(_ name: VolumeName) -> String { disksRoot + "/" + name.rawValue + ".img" }
    /// Who a sparse disk belongs to (`DiskBackend.checkOwner`).
    public func ownerPath(_ name: VolumeName) -> String { disksRoot + "/" + name.rawValue + ".owner" }

    /// Creates the layout (0700: it holds credentials and whole disks).
    public func prepare() throws(SystemCallError) {
        for directory in [stagingRoot, disksRoot, locksRoot] { try Sys.mkdirs(directory, mode: 0o700) }
    }

    /// Runs `body` holding an exclusive flock on `locks/<name>.lock`. The lock
    /// serialises separate `moor` processes and `moord` alike, and goes
    /// away with the process if it dies.
    public func withLock<T>(_ name: String, _ body: () throws -> T) throws -> T {
        let path = locksRoot + "/" + name + ".lock"
        let fd: Int32
        do {
            fd = try Sys.open(path, O_RDWR | O_CREAT, mode: 0o600)
        } catch where error.errno == .noSuchFileOrDirectory {
            try prepare()
            fd = try Sys.open(path, O_RDWR | O_CREAT, mode: 0o600)
        }
        defer { Sys.close(fd) }
        try Sys.lockExclusive(fd, path)
        return try body()
    }

    /// Like `withLock`, but returns nil at once if another process holds the lock.
    public func withLockIfFree<T>(_ name: String, _ body: () throws -> T) throws -> T? {
        let path = locksRoot + "/" + name + ".lock"
        try Sys.mkdirs(locksRoot, mode: 0o700)
        let fd = try Sys.open(path, O_RDWR | O_CREAT, mode: 0o600)
        defer { Sys.close(fd) }
        guard try Sys.lockExclusiveIfFree(fd, path) else { return nil }
        return try body()
    }

    /// Writes a file so that a crash leaves either the old or the new
    /// content: temp file, fsync, rename, fsync of the directory.
    public func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(SystemCallError) {
        try writeAtomically(path) { fd, temporary throws(SystemCallError) in try Sys.writeAll(fd, bytes, temporary) }
    }

    /// The same, with `fill` writing the content to the temporary file
    /// (its descriptor and path): a sparse disk image is sized, not written.
    public func writeAtomically(_ path: String, fill: (Int32, String) throws(SystemCallError) -> Void) throws(SystemCallError) {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        let temporary = path + ".tmp.\(Sys.processID)"
        let fd = try Sys.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        do {
            try fill(fd, temporary)
            try Sys.fsync(fd, temporary)
            Sys.close(fd)
        } catch {
            Sys.close(fd)
            try? Sys.unlink(temporary)
            throw error
        }
        try Sys.rename(temporary, path)
        let dirFD = try Sys.open(directory, O_RDONLY | O_DIRECTORY)
        defer { Sys.close(dirFD) }
        try Sys.fsync(dirFD, directory)
    }
}
