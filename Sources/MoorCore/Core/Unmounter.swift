/// Idempotent unmount with escalation, the way mount-utils cleans up:
/// "not mounted" is success; a corrupted mount (dead FUSE daemon, stale NFS
/// handle) is forced, then detached; a busy mount is an error to retry.
struct Unmounter {
    let mounter: any Mounter

    /// Unmounts everything stacked at `path` until nothing is mounted there.
    /// `table`, if given, is a current mount table (saves a read).
    func unmountAll(_ path: String, table: MountTable? = nil) throws {
        var current = try table ?? mounter.mountTable()
        for _ in 0..<16 {
            let stacked = current.entries.filter { $0.mountPoint == path }.count
            guard stacked > 0 else { return }
            do {
                try mounter.unmount(path, mode: .normal)
            } catch let error as SystemCallError where error.errno == .invalidArgument {
                return // raced with another unmount: nothing is mounted there any more
            } catch let error as SystemCallError where error.errno == .resourceBusy {
                throw MoorError(.busy, "\(path) is busy: a process still uses the volume")
            } catch let error as SystemCallError where error.errno.isCorruptedMount {
                do { try mounter.unmount(path, mode: .force) } catch { try mounter.unmount(path, mode: .detach) }
            }
            // The only mount there is gone; no need to read the table again.
            if stacked == 1 { return }
            current = try mounter.mountTable()
        }
        throw MoorError(.system, "\(path) is still mounted after 16 unmounts")
    }
}
