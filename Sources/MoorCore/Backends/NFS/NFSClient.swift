#if canImport(Glibc)
import Glibc
#endif
import CLibNFS

/// Talks to an NFS server from userspace with libnfs, without a kernel
/// mount: so an unreachable server or a missing export fails fast with a
/// clear message (a kernel mount would wait out its retries), and the
/// share's subdirectories can be made, archived or deleted before or after
/// any node mounts it. Every call has a timeout.
public struct NFSClient: Sendable {
    public let server: String
    public let share: String
    /// 3 or 4; nil tries 3, then 4.
    public let version: Int?
    public let timeout: Duration

    public init(server: String, share: String, version: String?, timeout: Duration) {
        self.server = server.hasPrefix("[") && server.hasSuffix("]") ? String(server.dropFirst().dropLast()) : server
        self.share = share
        self.version = version.map { $0.hasPrefix("4") ? 4 : 3 }
        self.timeout = timeout
    }

    /// One connected session to the export.
    final class Session {
        let context: OpaquePointer
        init(_ context: OpaquePointer) { self.context = context }
        deinit { nfs_destroy_context(context) }

        var lastError: String {
            guard let text = nfs_get_error(context) else { return "unknown error" }
            return String(cString: text)
        }
    }

    /// Connects and mounts the export (the NFS MOUNT call, or the NFSv4 pseudo path).
    func connect() throws -> Session {
        var failures: [String] = []
        // One budget for both versions: a server that never answers must
        // fail within `timeout`, not once per version tried.
        let end = ContinuousClock.now + timeout
        // libnfs bounds each RPC by its timeout, but not the TCP connect: a
        // server whose packets vanish would hold this call for the kernel's
        // SYN retries (about 2 minutes), whatever `timeout` says. Every
        // NFS server listens on 2049 (NFSv3 needs rpcbind too, which libnfs
        // then reaches on a host that has answered).
        if Sys.tcpConnectError(host: server, port: 2049, within: timeout) == .timedOut {
            throw MoorError(.timedOut, "nfs server \(server) did not answer within \((timeout + .milliseconds(500)).components.seconds) s (TCP port 2049); is it reachable?")
        }
        for candidate in version.map({ [$0] }) ?? [3, 4] {
            let left = end - ContinuousClock.now
            guard left >= .seconds(1) else {
                failures.append("NFSv\(candidate): not tried, the timeout of \(timeout.components.seconds) s is spent")
                break
            }
            guard let raw = nfs_init_context() else { throw MoorError(.system, "libnfs: cannot create a context") }
            let session = Session(raw)
            nfs_set_timeout(raw, Int32(clamping: left.components.seconds * 1000))
            nfs_set_autoreconnect(raw, 0)
            _ = nfs_set_version(raw, Int32(candidate)) // NFS_V3 = 3, NFS_V4 = 4 in libnfs.h
            if nfs_mount(raw, server, share) == 0 { return session }
            failures.append("NFSv\(candidate): \(Self.clean(session.lastError))")
        }
        throw MoorError(.backendUnavailable, "nfs server \(server) export \(share) is not usable: \(failures.joined(separator: "; "))")
    }

    /// Checks that the server answers and exports `share`.
    public func check() throws {
        _ = try connect()
    }

    /// Creates `path` (relative to the share) and any missing parents.
    public func makeDirectories(_ path: String, mode: UInt32 = 0o755) throws {
        let session = try connect()
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = nfs_stat_64()
            if nfs_stat64(session.context, current, &info) == 0 { continue }
            if nfs_mkdir2(session.context, current, Int32(mode)) != 0 {
                // Another node may have made it meanwhile.
                if nfs_stat64(session.context, current, &info) != 0 {
                    throw MoorError(.system, "nfs: cannot create \(current) on \(server):\(share): \(Self.clean(session.lastError))")
                }
            }
        }
    }

    public func exists(_ path: String) throws -> Bool {
        let session = try connect()
        var info = nfs_stat_64()
        return nfs_stat64(session.context, "/" + path, &info) == 0
    }

    /// Renames `path` to `newName` in the same directory.
    public func rename(_ path: String, to newPath: String) throws {
        let session = try connect()
        guard nfs_rename(session.context, "/" + path, "/" + newPath) == 0 else {
            throw MoorError(.system, "nfs: cannot rename \(path) on \(server):\(share): \(Self.clean(session.lastError))")
        }
    }

    /// Deletes `path` and everything below it. Never follows symlinks
    /// (they are removed as entries).
    public func removeTree(_ path: String) throws {
        let session = try connect()
        try remove("/" + path, session, depth: 0)
    }

    private func remove(_ path: String, _ session: Session, depth: Int) throws {
        guard depth < 256 else { throw MoorError(.system, "nfs: \(path) is nested too deeply to delete") }
        var info = nfs_stat_64()
        guard nfs_lstat64(session.context, path, &info) == 0 else { return }
        if info.nfs_mode & UInt64(S_IFMT) == UInt64(S_IFDIR) {
            var dir: OpaquePointer?
            guard nfs_opendir(session.context, path, &dir) == 0, let dir else {
                throw MoorError(.system, "nfs: cannot list \(path): \(Self.clean(session.lastError))")
            }
            var names: [String] = []
            while let entry = nfs_readdir(session.context, dir) {
                let name = String(cString: entry.pointee.name)
                if name != "." && name != ".." { names.append(name) }
            }
            nfs_closedir(session.context, dir)
            for name in names { try remove(path + "/" + name, session, depth: depth + 1) }
            guard nfs_rmdir(session.context, path) == 0 else {
                throw MoorError(.system, "nfs: cannot remove \(path): \(Self.clean(session.lastError))")
            }
        } else if nfs_unlink(session.context, path) != 0 {
            throw MoorError(.system, "nfs: cannot remove \(path): \(Self.clean(session.lastError))")
        }
    }

    /// libnfs messages repeat the call chain; keep the informative tail.
    static func clean(_ text: String) -> String {
        let parts = text.split(separator: ":").map { String($0).trimmed(" ") }
        return parts.suffix(2).joined(separator: ": ")
    }
}
