#if canImport(Glibc)
import Glibc
#endif

extension StateDirectory {
    /// Like `withLock`, but waits for the lock only until `deadline`
    /// (flock(2) LOCK_NB, retried with a growing pause of at most 50 ms),
    /// then throws `timedOut`. An operation stuck on a dead server holds
    /// its source's lock up to its own timeout; the ones queued behind it
    /// must not each wait that long on top of theirs.
    public func withLock<T>(_ name: String, until deadline: Deadline, _ body: () throws -> T) throws -> T {
        let path = locksRoot + "/" + name + ".lock"
        try Sys.mkdirs(locksRoot, mode: 0o700)
        let fd = try Sys.open(path, O_RDWR | O_CREAT, mode: 0o600)
        defer { Sys.close(fd) }
        var pause: UInt32 = 1_000
        while try !Sys.lockExclusiveIfFree(fd, path) {
            _ = try deadline.remaining(for: "waiting for another operation on the same source")
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        return try body()
    }
}
