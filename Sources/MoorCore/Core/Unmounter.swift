/// Idempotent unmount with escalation, the way mount-utils cleans up:
/// "not mounted" is success; a corrupted mount (dead FUSE daemon, stale NFS
/// handle) is forced, then detached; a busy mount is an error to retry.
struct Unmounter {
    let mounter: any Mounter

    /// Unmounts everything stacked at `path` until nothing is mounted there.
    func unmountAll(_ path: String) throws {
        for _ in 0..<16 {
            guard try mounter.mountTable().isMountPoint(path) else { return }
            do {
                try mounter.unmount(path, mode: .normal)
            } catch let error as SystemCallError where error.errno == .invalidArgument {
                return // raced with another unmount: nothing is mounted there any more
            } catch let error as SystemCallError where error.errno == .resourceBusy {
                throw MoorError(.busy, "\(path) is busy: a process still uses the volume")
            } catch let error as SystemCallError where error.errno.isCorruptedMount {
                do { try mounter.unmount(path, mode: .force) } catch { try mounter.unmount(path, mode: .detach) }
            }
        }
        throw MoorError(.system, "\(path) is still mounted after 16 unmounts")
    }
}
