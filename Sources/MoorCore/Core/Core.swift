#if canImport(Glibc)
import Glibc
#endif
import Logging
import SystemPackage

/// Stage once, bind many. The core mounts each backend source once per node
/// at `<stateDir>/staging/<key>` and bind-mounts it into each consumer (a
/// pod's volume dir, a Docker volume's mountpoint). The mount table is the
/// truth for how many consumers a staging mount has; the staging mount is
/// released with its last consumer. It does not know which front door
/// called it.
public struct Core: Sendable {
    public let state: StateDirectory
    /// Reads the admin policy where a decision needs it (publishing, for
    /// `maxTimeout`; staging a device), and only there: releasing a volume never depends on a policy file,
    /// and an edited policy applies to the next call without a restart.
    let policy: @Sendable () throws -> Policy
    let mounter: any Mounter
    let runner: any CommandRunning
    let logger: Logger
    /// Asks whether a staging mount answers (`Health.probe`); tests replace
    /// it to show a dead mount without a dead server.
    var probe: @Sendable (_ path: String, _ limit: Duration) -> Errno? = { Health.probe($0, within: $1) }

    public init(state: StateDirectory, policySource: @escaping @Sendable () throws -> Policy, mounter: any Mounter,
                runner: any CommandRunning, logger: Logger) {
        self.state = state
        self.policy = policySource
        self.mounter = mounter
        self.runner = runner
        self.logger = logger
    }

    /// A core with a fixed policy.
    public init(state: StateDirectory, policy: Policy, mounter: any Mounter, runner: any CommandRunning, logger: Logger) {
        self.init(state: state, policySource: { policy }, mounter: mounter, runner: runner, logger: logger)
    }

    /// Deletes what the named volume `name` owns: a sparse disk's image, an
    /// NFS volume's subdirectory if it asked for `onRemove=archive|delete`.
    /// Refused while any consumer on this node stages the same source. A
    /// staging mount with no consumer is a crash's leftover (killed between
    /// stage and bind: under the key's lock no publish is half-way) and is
    /// released first.
    public func destroy(_ definition: VolumeDefinition, volumeName name: VolumeName) throws {
        let backend = backend(for: definition.spec.type)
        let key = try backend.stagingKey(for: definition)
        try state.withLock(key.rawValue) {
            try releaseIfUnused(key, backend: backend, deadline: Deadline(.seconds(60)))
            guard try !mounter.mountTable().isMountPoint(state.stagingPath(key)) else {
                throw MoorError(.busy, "volume '\(name)' is in use on this node (by a pod or another volume with the same source)")
            }
            try backend.destroy(definition, volumeName: name)
        }
    }

    var node: NodeContext { NodeContext(state: state, policy: policy, runner: runner, mounter: mounter, logger: logger) }

    func backend(for type: VolumeType) -> any Backend { type.backend(node) }

    /// One consumer's view of a volume.
    public struct Consumer: Sendable {
        /// An existing directory: a pod volume dir or a Docker mountpoint.
        public var target: String
        /// Bind read-only, whatever the volume allows.
        public var readOnly: Bool
        /// Kubernetes fsGroup: the volume root's group becomes this gid
        /// (with setgid and group rwx) when the consumer writes.
        public var fsGroup: UInt32?

        public init(target: String, readOnly: Bool = false, fsGroup: UInt32? = nil) {
            self.target = target
            self.readOnly = readOnly
            self.fsGroup = fsGroup
        }
    }

    /// Makes the volume available at `consumer.target`: stages the source
    /// if this is its first consumer (or its staging mount died), then
    /// binds. Idempotent: a target that already shows this volume is left as it is.
    public func publish(_ definition: VolumeDefinition, to consumer: Consumer) throws {
        // Whoever writes the volume sets `timeout`; the node caps it (maxTimeout).
        var definition = definition
        definition.common.timeout = try policy().cappedTimeout(definition.common.timeout)
        let backend = backend(for: definition.spec.type)
        let key = try backend.stagingKey(for: definition)
        let staging = state.stagingPath(key)
        let deadline = Deadline(definition.common.timeout)
        try state.prepare()
        try state.withLock(key.rawValue, until: deadline) {
            var table = try mounter.mountTable()
            try checkTarget(consumer.target, in: table, mustExist: true)
            if table.isMountPoint(staging), try releaseIfDead(key, backend: backend, deadline: deadline) {
                table = try mounter.mountTable()
            }
            if let existing = table.mount(at: consumer.target) {
                guard let staged = table.mount(at: staging), consumes(existing, staged, peersOnly: backend.consumersArePeers) else {
                    throw MoorError(.conflict, "\(consumer.target) already has another file system mounted on it")
                }
                logger.debug("already published", metadata: ["target": "\(consumer.target)", "staging": "\(key)"])
                return
            }
            if let staged = table.mount(at: staging) {
                try backend.admit(definition, staged: staged)
                if staged.isReadOnly && !definition.common.readOnly && !consumer.readOnly {
                    throw MoorError(.conflict, "the volume is staged read-only on this node; a read-write consumer must wait until every read-only one is gone")
                }
            } else {
                table = try stage(definition, with: backend, key: key, deadline: deadline)
            }
            do {
                try bind(definition, to: consumer, with: backend, staging: staging,
                         stagedReadOnly: table.mount(at: staging)?.isReadOnly ?? false)
            } catch {
                try? releaseIfUnused(key, backend: backend, deadline: Deadline(.seconds(30)))
                throw error
            }
            try FailPoint.hit("bind.done")
            logger.info("published", metadata: ["target": "\(consumer.target)", "staging": "\(key)", "readOnly": "\(consumer.readOnly)"])
        }
    }

    /// A staging mount whose FUSE daemon died or whose NFS handle went stale
    /// is released, so this publish stages it again; returns whether it was.
    /// One that does not answer at all is an error: its server may come
    /// back. A file system moor owns on a local device cannot die that way
    /// and is not probed (the probe's thread is most of a `moor mount`).
    func releaseIfDead(_ key: StagingKey, backend: any Backend, deadline: Deadline) throws -> Bool {
        let staging = state.stagingPath(key)
        guard !backend.ownsFileSystem,
              let problem = probe(staging, .seconds(5)) else { return false }
        guard problem.isCorruptedMount else {
            throw MoorError(.timedOut, "the volume's staging mount does not answer (\(problem)); is its server reachable?")
        }
        logger.info("staging mount is dead, staging again", metadata: ["staging": "\(key)", "error": "\(problem)"])
        try backend.release(at: staging, record: StagingRecord.load(state.recordPath(key)), deadline: deadline)
        return true
    }

    /// Mounts the source at its staging path, checks that the mount table
    /// shows what the backend meant to mount there, and records it. Returns
    /// the mount table after staging.
    func stage(_ definition: VolumeDefinition, with backend: any Backend, key: StagingKey, deadline: Deadline) throws -> MountTable {
        let staging = state.stagingPath(key)
        try Sys.mkdirs(staging, mode: 0o700)
        let result = try backend.stage(definition, at: staging, deadline: deadline)
        do {
            try FailPoint.hit("stage.mounted")
            let table = try mounter.mountTable()
            if let problem = result.expected.mismatch(table.mount(at: staging)) {
                throw MoorError(.system, "\(definition.spec.type): after staging, \(problem) (the staging path of \(key)); nothing was bound")
            }
            try state.writeAtomically(state.recordPath(key), try result.record.encoded())
            try FailPoint.hit("stage.recorded")
            if result.created && !definition.common.readOnly { try applyOwnership(definition.common, root: staging) }
            logger.info("staged", metadata: ["staging": "\(key)", "backend.type": "\(definition.spec.type)"])
            return table
        } catch {
            try? backend.release(at: staging, record: result.record, deadline: Deadline(.seconds(30)))
            throw error
        }
    }

    /// Binds the staging mount (or the part consumers get) into the consumer.
    func bind(_ definition: VolumeDefinition, to consumer: Consumer, with backend: any Backend, staging: String,
              stagedReadOnly: Bool) throws {
        let readOnly = consumer.readOnly || definition.common.readOnly
        // fsGroup is applied on file systems moor made and owns (local disks);
        // an NFS or FUSE share's ownership belongs to its server.
        if let gid = consumer.fsGroup, !readOnly, backend.ownsFileSystem, !stagedReadOnly {
            try applyFSGroup(gid, root: staging)
        }
        guard let subdirectory = backend.consumerSubdirectory(for: definition) else {
            try mounter.mount(.bind(staging, to: consumer.target, readOnly: readOnly))
            return
        }
        // Opened one component at a time with O_NOFOLLOW and bound from the
        // descriptor: a symlink on the server's side never leads out of the share.
        let directory: HostDirectory
        do {
            directory = try HostDirectory.open(subdirectory, beneath: staging)
        } catch {
            throw Self.explain(error, subdirectory: subdirectory, type: definition.spec.type.rawValue)
        }
        defer { directory.close() }
        try mounter.mount(.bind(directory.mountSource, to: consumer.target, readOnly: readOnly))
    }

    static func explain(_ failure: HostDirectory.Failure, subdirectory: String, type: String) -> MoorError {
        switch failure {
        case .missing:
            return MoorError(.notFound, "\(type): subdir '\(subdirectory)' does not exist in the share; create it, or set createSubdir=true")
        case .symlink:
            return MoorError(.forbidden, "\(type): subdir '\(subdirectory)' is or passes through a symbolic link in the share; moor never follows symlinks below a share's root")
        case .notDirectory:
            return MoorError(.invalidOption, "\(type): subdir '\(subdirectory)' is not a directory in the share")
        case .moved:
            return MoorError(.conflict, "\(type): subdir '\(subdirectory)' moved while moor opened it; try again")
        case .system(let error):
            return MoorError(.system, "\(type): subdir '\(subdirectory)': \(error)")
        }
    }

    /// Removes the volume from `target` and releases its staging mount if
    /// that was the last consumer. Works from the path alone (kubelet's
    /// `unmount` brings nothing else). Idempotent: a target that is not
    /// mounted, or does not exist, is already unpublished.
    public func unpublish(_ target: String) throws {
        let table = try mounter.mountTable()
        try checkTarget(target, in: table, mustExist: false)
        guard let entry = table.mount(at: target) else {
            logger.debug("not mounted, nothing to do", metadata: ["target": "\(target)"])
            // A retry after a release that failed half-way (bind gone,
            // staging left) would otherwise never finish the release.
            sweepUnusedStaging(table)
            return
        }
        guard let key = stagingKey(of: entry, in: table) else {
            // Not one of ours (or its staging mount is already gone): just unmount.
            try Unmounter(mounter: mounter).unmountAll(target)
            return
        }
        try state.withLock(key.rawValue) {
            try Unmounter(mounter: mounter).unmountAll(target, table: try mounter.mountTable())
            logger.info("unpublished", metadata: ["target": "\(target)", "staging": "\(key)"])
            try releaseIfUnused(key, backend: nil, deadline: Deadline(.seconds(60)))
        }
    }

    /// Releases staging mounts that no consumer uses, skipping any whose
    /// lock is held (a publish in progress has staged but not yet bound).
    /// Returns how many it released.
    @discardableResult
    public func sweepUnusedStaging(_ table: MountTable) -> Int {
        var released = 0
        for entry in table.mounts(under: state.stagingRoot) where entry.mountPoint != state.stagingRoot {
            guard let key = StagingKey(existing: String(entry.mountPoint.dropFirst(state.stagingRoot.count + 1))),
                  consumers(of: key, in: table).isEmpty else { continue }
            let done = try? state.withLockIfFree(key.rawValue) { () throws -> Bool in
                try releaseIfUnused(key, backend: nil, deadline: Deadline(.seconds(60)))
                return try !mounter.mountTable().isMountPoint(state.stagingPath(key))
            }
            if done == true { released += 1 }
        }
        return released
    }

    /// The staging key whose mount `entry` consumes; the most specific one
    /// (the longest root) if several could, as host directories nested in
    /// one another can.
    func stagingKey(of entry: MountEntry, in table: MountTable) -> StagingKey? {
        let candidates = table.mounts(under: state.stagingRoot).compactMap { staged -> (key: StagingKey, root: String)? in
            guard staged.device == entry.device, staged.mountPoint != state.stagingRoot,
                  let key = StagingKey(existing: String(staged.mountPoint.dropFirst(state.stagingRoot.count + 1))),
                  consumes(entry, staged, peersOnly: consumersArePeers(key)) else { return nil }
            return (key, staged.root)
        }
        return candidates.max { $0.root.count < $1.root.count }?.key
    }

    /// Consumers of a staging mount: the other mounts of its file system,
    /// outside the staging area, that `consumes` says are its binds. Must be
    /// called holding the key's lock.
    public func consumers(of key: StagingKey, in table: MountTable) -> [MountEntry] {
        guard let staged = table.mount(at: state.stagingPath(key)) else { return [] }
        let peersOnly = consumersArePeers(key)
        return table.mounts(of: staged.device).filter { consumes($0, staged, peersOnly: peersOnly) }
    }

    /// Whether `entry` is a bind of the staging mount `staged`: the same
    /// file system, showing the staged directory or one inside it (an NFS
    /// `subdir`), so that the host's own mounts of other directories of
    /// that file system (`/` for a host directory) are not counted. With
    /// `peersOnly`, it must also be in the staging mount's peer group, which
    /// a bind made from it joins: that tells a consumer from the host's own
    /// mount of the very same directory.
    func consumes(_ entry: MountEntry, _ staged: MountEntry, peersOnly: Bool) -> Bool {
        guard entry.device == staged.device, !entry.mountPoint.hasPrefix(state.stagingRoot + "/"),
              entry.root == staged.root || staged.root == "/" || entry.root.hasPrefix(staged.root + "/") else { return false }
        guard peersOnly else { return true }
        guard let group = staged.optionalFields.first(where: { $0.hasPrefix("shared:") }) else { return false }
        return entry.optionalFields.contains(group)
    }

    /// Whether the backend that staged `key` tells consumers by peer group
    /// (from its record; a lost record counts every mount of the directory,
    /// which keeps the staging mount rather than releasing it early).
    func consumersArePeers(_ key: StagingKey) -> Bool {
        guard let type = StagingRecord.load(state.recordPath(key))?.type else { return false }
        return backend(for: type).consumersArePeers
    }

    /// Releases the staging mount of `key` if nothing consumes it. Holding the key's lock.
    func releaseIfUnused(_ key: StagingKey, backend known: (any Backend)?, deadline: Deadline) throws {
        let table = try mounter.mountTable()
        let path = state.stagingPath(key)
        guard table.isMountPoint(path) else { return }
        let remaining = consumers(of: key, in: table)
        guard remaining.isEmpty else {
            logger.debug("staging kept", metadata: ["staging": "\(key)", "consumers": "\(remaining.count)"])
            return
        }
        let record = StagingRecord.load(state.recordPath(key))
        let backend = known ?? backend(for: record?.type ?? .default)
        try backend.release(at: path, record: record, deadline: deadline)
        try? Sys.unlink(state.recordPath(key))
        try? Sys.rmdir(path)
        logger.info("released", metadata: ["staging": "\(key)"])
    }

    /// A consumer's directory is resolved the same way for publish and
    /// unpublish: clean, absolute, outside the staging area, and reached
    /// from `/` without following a symlink, so a path always names the
    /// directory it names in the mount table (a symlinked parent would
    /// mount elsewhere and then unmount nothing). The last component is
    /// looked at only when `table` shows no mount there: a stat that
    /// crosses into a mount can hang on a dead NFS server. Returns false
    /// when the directory does not exist and `mustExist` is false.
    @discardableResult
    func checkTarget(_ target: String, in table: MountTable, mustExist: Bool) throws -> Bool {
        guard PathCheck.isCleanAbsolute(target), target != "/" else {
            throw MoorError(.invalidOption, "mount dir must be a clean absolute path")
        }
        guard target != state.stagingRoot, !target.hasPrefix(state.stagingRoot + "/") else {
            throw MoorError(.invalidOption, "mount dir must not be inside moor's staging area")
        }
        let slash = target.lastIndex(of: "/")!
        let parentPath = slash == target.startIndex ? "/" : String(target[..<slash])
        let name = String(target[target.index(after: slash)...])
        guard let parent = try Self.openParent(parentPath, of: target, mustExist: mustExist) else { return false }
        defer { parent.close() }
        if table.isMountPoint(target) { return true }
        guard let info = try Self.lstatIfPresent(parent.fd, name, path: target) else {
            guard mustExist else { return false }
            throw MoorError(.notFound, "mount dir \(target) does not exist")
        }
        if info.st_mode & S_IFMT == S_IFLNK { throw Self.symlinkedTarget(target, target) }
        guard Sys.isDirectory(info) else { throw MoorError(.invalidOption, "mount dir \(target) is not a directory") }
        return true
    }

    /// The target's parent directory, or nil if it is missing and need not exist.
    static func openParent(_ path: String, of target: String, mustExist: Bool) throws -> HostDirectory? {
        let failure: HostDirectory.Failure
        do {
            return try HostDirectory.open(path, create: nil)
        } catch {
            failure = error
        }
        switch failure {
        case .missing where !mustExist: return nil
        case .missing(let prefix, _): throw MoorError(.notFound, "mount dir \(target) does not exist (\(prefix) is missing)")
        case .symlink(let prefix, _): throw symlinkedTarget(target, prefix)
        case .notDirectory(let prefix): throw MoorError(.invalidOption, "mount dir \(target): \(prefix) is not a directory")
        case .moved(let now): throw MoorError(.conflict, "mount dir \(target) was moved while moor opened it (it is now \(now)); try again")
        case .system(let error): throw MoorError(.system, "mount dir \(target): \(error)")
        }
    }

    static func lstatIfPresent(_ directory: Int32, _ name: String, path: String) throws -> stat? {
        do {
            return try Sys.lstat(directory, name, path: path)
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        }
    }

    static func symlinkedTarget(_ target: String, _ prefix: String) -> MoorError {
        MoorError(.forbidden, "mount dir \(target): \(prefix) is a symbolic link; moor resolves mount dirs without following symlinks, so give the real path")
    }

    /// `uid`/`gid`/`mode` of a newly created volume root.
    func applyOwnership(_ common: CommonOptions, root: String) throws {
        if common.uid != nil || common.gid != nil { try Sys.chown(root, uid: common.uid, gid: common.gid) }
        if let mode = common.mode { try Sys.chmod(root, mode: mode) }
    }

    /// The root-only equivalent of kubelet's fsGroup walk, as with
    /// fsGroupChangePolicy OnRootMismatch: group, setgid and g+rwx on the
    /// volume root, never a recursive chown of the whole tree.
    func applyFSGroup(_ gid: UInt32, root: String) throws {
        let info = try Sys.stat(root)
        let wanted = UInt32(info.st_mode & 0o7777) | UInt32(S_ISGID) | 0o070
        if info.st_gid != gid { try Sys.chown(root, uid: nil, gid: gid) }
        if UInt32(info.st_mode & 0o7777) != wanted || info.st_gid != gid { try Sys.chmod(root, mode: wanted) }
    }
}
