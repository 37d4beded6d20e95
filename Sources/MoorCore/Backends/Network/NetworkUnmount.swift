import Logging

/// Unmounts a network file system with escalation, every step a helper
/// under a deadline so a dead server cannot hang the caller.
struct NetworkUnmount {
    let runner: any CommandRunning
    let mounter: any Mounter
    var logger: Logger? = nil

    func unmount(_ path: String, deadline: Deadline) throws {
        // A live server answers a plain umount at once; a dead one is given 5 s.
        for (flags, limit) in [([], 5), (["-f"], 15), (["-l"], 15)] as [([String], Int64)] {
            guard try mounter.mountTable().isMountPoint(path) else { return }
            let step = min((try? deadline.remaining(for: "umount")) ?? .seconds(5), .seconds(limit))
            let result = try? runner.run(Command("umount", flags + [path], timeout: max(step, .seconds(2))))
            logger?.debug("umount", metadata: ["flags": "\(flags)", "status": "\(result.map { String($0.status) } ?? "killed")"])
        }
        if try mounter.mountTable().isMountPoint(path) {
            throw MoorError(.busy, "\(path) is still mounted after umount, umount -f and umount -l")
        }
    }
}
