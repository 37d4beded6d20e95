import Dispatch
import SystemPackage

/// Whether a mount answers. statvfs(2) on a FUSE or NFS mount is served by
/// its daemon or server, so it reports a dead one (ENOTCONN, ESTALE, EIO)
/// and could block on a hung one: it runs on another thread and is given
/// up after a bound.
public enum Health {
    /// nil when healthy; the errno otherwise (`.timedOut` when no answer came in time).
    public static func probe(_ path: String, within limit: Duration) -> Errno? {
        let result = ResultBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            do throws(SystemCallError) { _ = try Sys.statvfs(path); result.set(nil) } catch { result.set(error.errno) }
            done.signal()
        }
        let (seconds, attoseconds) = limit.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        guard done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return .timedOut }
        return result.get()
    }

    private final class ResultBox: @unchecked Sendable {
        private var value: Errno?
        private let lock = DispatchSemaphore(value: 1)
        func set(_ errno: Errno?) { lock.wait(); value = errno; lock.signal() }
        func get() -> Errno? { lock.wait(); defer { lock.signal() }; return value }
    }
}
