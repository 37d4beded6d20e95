/// What a crash leaves behind, released where it is found. The mount table
/// is the truth: a staging mount with no consumer, or a loop device on one
/// of moor's disk images that nothing mounts, is a leftover once its
/// staging key's lock is free (a publish that is half-way holds it).
extension Core {
    /// What `sweepLeftovers` released.
    public struct Leftovers: Sendable, Equatable {
        /// Staging mounts that no consumer used (a kill between stage and bind).
        public var stagingMounts: Int
        /// Loop devices bound to moor's disk images, deleted or not, that
        /// nothing mounted (a kill between loop attach and mount).
        public var loopDevices: [String]
    }

    /// Releases unused staging mounts, then detaches unused loop devices of
    /// moor's sparse disks. Never fails: what cannot be released now is
    /// left for the next call (and for `moor doctor` to report).
    @discardableResult
    public func sweepLeftovers() -> Leftovers {
        let staging = (try? mounter.mountTable()).map { sweepUnusedStaging($0) } ?? 0
        let loops = DiskBackend(node: node).detachUnusedLoops()
        if staging > 0 || !loops.isEmpty {
            logger.info("crash leftovers released", metadata: ["stagingMounts": "\(staging)", "loopDevices": "\(loops)"])
        }
        return Leftovers(stagingMounts: staging, loopDevices: loops)
    }
}
