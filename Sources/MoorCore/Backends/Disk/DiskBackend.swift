#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Local disks: a block device the policy allows, or a sparse file under
/// the state dir on a loop device. Formatted only when blank.
public struct DiskBackend: Backend {
    public let node: NodeContext

    public init(node: NodeContext) { self.node = node }

    public var ownsFileSystem: Bool { true }

    public static func spec(of definition: VolumeDefinition) -> DiskSpec? {
        if case .disk(let spec) = definition.spec { spec } else { nil }
    }

    public func stagingKey(for definition: VolumeDefinition) throws -> StagingKey {
        let spec = spec(definition)
        switch spec.backing {
        case .sparseFile:
            return try stagingKey(forImageOf: spec.name!)
        case .device(let path):
            let device = try checkedDevice(path)
            return try node.stagingKey(prefix: "dev-" + (device.split(separator: "/").last.map(String.init) ?? "disk"), source: device)
        }
    }

    /// The staging key of the sparse disk named `name`, whichever volume uses it.
    func stagingKey(forImageOf name: VolumeName) throws -> StagingKey {
        try node.stagingKey(prefix: "disk-" + name.rawValue, source: state.diskImagePath(name))
    }

    /// The device's real path, after the policy allowed the path as given.
    func checkedDevice(_ path: String) throws -> String {
        let policy = try node.policy()
        guard policy.allowsDevice(path) else {
            throw MoorError(.forbidden, "device \(path) is not allowed by the node's policy (allowedDevices in \(policy.path))")
        }
        let resolved: String
        do {
            resolved = try Sys.realpath(path)
        } catch {
            throw MoorError(.notFound, "device \(path) does not exist on this node")
        }
        guard let info = try? Sys.stat(resolved), Sys.isBlockDevice(info) else {
            throw MoorError(.invalidOption, "device \(path) is not a block device")
        }
        return resolved
    }

    public func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult {
        let spec = spec(definition)
        let loops = LoopDevices(runner: runner)
        var record: StagingRecord
        let device: String
        switch spec.backing {
        case .sparseFile(let bytes):
            let image = state.diskImagePath(spec.name!)
            try ensureImage(image, bytes: bytes)
            try checkOwner(spec.name!, definition.owner, claim: true)
            device = try loops.attach(image, mountTable: mounter.mountTable, deadline: deadline)
            try FailPoint.hit("loop.attached")
            record = StagingRecord(type: .disk, source: "sparse file \(image)", device: device, loopBackingFile: image)
        case .device(let path):
            device = try checkedDevice(path)
            record = StagingRecord(type: .disk, source: "device \(path)", device: device)
        }
        let table = try mounter.mountTable()
        let inUse = (try? Sys.stat(device)).map { !table.mounts(of: Sys.deviceNumber($0)).isEmpty } ?? false
        let created: Bool
        do {
            var request = SafeFormat.Request(device: device, target: path, fsType: spec.fsType, mkfsOptions: spec.mkfsOptions,
                                             mountOptions: definition.common.mountOptions, readOnly: definition.common.readOnly, inUse: inUse)
            // A read-only sparse disk starts out empty, as Docker users expect.
            request.formatBlankWhenReadOnly = record.loopBackingFile != nil
            // Only moor writes its images, so their first 64 KiB tell all
            // (SignatureScan); a device may carry signatures blkid must see.
            request.isMoorImage = record.loopBackingFile != nil
            created = try SafeFormat(runner: runner, mounter: mounter, logger: logger).formatAndMount(request, deadline: deadline)
        } catch {
            if let backing = record.loopBackingFile, !inUse {
                try? loops.detach(device, deadline: Deadline(.seconds(10)))
                logger.debug("detached loop device after failed stage", metadata: ["device": "\(device)", "file": "\(backing)"])
            }
            throw error
        }
        return StageResult(record: record, created: created, expected: Self.expected(device, fsType: spec.fsType))
    }

    /// One more consumer of a staged disk gets the answer the first one
    /// got: the same owner check, and the same refusal of another size or
    /// file system, whether or not the disk is staged now.
    public func admit(_ definition: VolumeDefinition, staged: MountEntry) throws {
        let spec = spec(definition)
        if case .sparseFile(let bytes) = spec.backing {
            try checkOwner(spec.name!, definition.owner, claim: false)
            if let bytes, let info = try? Sys.stat(state.diskImagePath(spec.name!)), UInt64(info.st_size) != bytes {
                throw Self.sizeConflict(state.diskImagePath(spec.name!), has: UInt64(info.st_size), wanted: bytes)
            }
        } else if case .device(let path) = spec.backing {
            _ = try checkedDevice(path)
        }
        if let wanted = spec.fsType, wanted != staged.fsType {
            throw MoorError(.dataProtected, "\(staged.source) already holds a \(staged.fsType) file system, but fsType=\(wanted) was requested; moor never reformats a disk")
        }
    }

    /// `disks/<name>.owner` says whose the sparse disk is (a Kubernetes
    /// namespace, Docker). The first owner to stage it claims it (`claim`;
    /// a disk from before owners existed too); others are refused unless the
    /// policy shares the disk (`sharedDisks`).
    func checkOwner(_ name: VolumeName, _ owner: String?, claim: Bool) throws {
        let wanted = owner ?? ""
        let recorded = try recordedOwner(name)
        if recorded == wanted { return }
        if try node.policy().sharesDisk(name.rawValue) { return }
        guard recorded == nil, claim else {
            throw MoorError(.forbidden, "disk '\(name)' belongs to another namespace (or to Docker) on this node, and the node's policy does not share it (sharedDisks)")
        }
        try state.writeAtomically(state.ownerPath(name), Array(wanted.utf8))
    }

    /// The owner written for a disk, or nil if none is.
    func recordedOwner(_ name: VolumeName) throws -> String? {
        try Sys.readFileIfPresent(state.ownerPath(name), limit: 4096).map { String(decoding: $0, as: UTF8.self) }
    }

    static func sizeConflict(_ image: String, has size: UInt64, wanted bytes: UInt64) -> MoorError {
        MoorError(.conflict, "disk image \(image) already exists with \(size) bytes, not the \(bytes) requested; moor does not resize disks")
    }

    /// A block device's file system as `SafeFormat` mounts it.
    static func expected(_ device: String, fsType: String?) -> ExpectedMount {
        ExpectedMount(fsTypes: fsType.map { [$0] } ?? SafeFormat.mountableFileSystems,
                      device: (try? Sys.stat(device)).map(Sys.deviceNumber))
    }

    /// Creates the sparse image if it is missing; an existing one must have
    /// the size that was asked for, if one was.
    func ensureImage(_ image: String, bytes: UInt64?) throws {
        if let info = try? Sys.stat(image) {
            if let bytes, UInt64(info.st_size) != bytes { throw Self.sizeConflict(image, has: UInt64(info.st_size), wanted: bytes) }
            return
        }
        try state.prepare()
        try state.writeAtomically(image) { fd, temporary throws(SystemCallError) in
            try Sys.ftruncate(fd, bytes ?? DiskSpec.defaultSize, temporary)
        }
    }

    /// A sparse disk named after the volume is its own: its image goes,
    /// after every loop device bound to it is detached (a loop left bound
    /// to a deleted image would hold the data a new image of that name
    /// seems to lose). Refused while one of them is in use. A device, or
    /// another volume's disk (`-o name=other`), stays. So does one another
    /// owner holds, shared or not: forgetting a definition never deletes
    /// another namespace's data.
    public func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws {
        let spec = spec(definition)
        guard case .sparseFile = spec.backing, spec.name == volumeName else { return }
        if let recorded = try recordedOwner(volumeName), recorded != (definition.owner ?? "") {
            logger.info("disk image kept: it belongs to another owner", metadata: ["volume.name": "\(volumeName)"])
            return
        }
        let image = state.diskImagePath(volumeName)
        let current = (try? Sys.stat(image)).map(Sys.fileID)
        let table = try mounter.mountTable()
        let loops = LoopDevices(runner: runner)
        for binding in LoopDevices.bindings(of: image) {
            let users = LoopDevices.users(of: binding, in: table)
            if binding.match(image: image, current: current) == .current {
                guard users.isEmpty else {
                    throw MoorError(.busy, "volume '\(volumeName)' is in use on this node: its disk is mounted through \(binding.device) at \(users.joined(separator: ", "))")
                }
                try loops.detach(binding.device, deadline: Deadline(.seconds(30)))
            } else if users.isEmpty {
                // A leftover bound to an earlier, deleted image: it holds nothing reachable.
                try loops.detach(binding.device, deadline: Deadline(.seconds(30)))
            }
        }
        try Sys.unlink(image)
        try Sys.unlink(state.ownerPath(volumeName))
    }

    /// Detaches loop devices bound to moor's disk images (current or
    /// deleted) that nothing mounts or holds: what a crash between loop
    /// attach and mount leaves. Skips a disk whose staging lock is held (a
    /// stage in progress). Returns the devices detached.
    public func detachUnusedLoops() -> [String] {
        let prefix = state.disksRoot + "/"
        var detached: [String] = []
        for found in LoopDevices.bindings(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".img") }) {
            let file = String(found.path.dropFirst(prefix.count).dropLast(4))
            guard !file.contains("/"), let name = VolumeName(file) else { continue }
            guard let key = try? stagingKey(forImageOf: name) else { continue }
            let done = try? state.withLockIfFree(key.rawValue) { () throws -> Bool in
                // Read again under the lock: it may have been mounted or detached meanwhile.
                guard let binding = LoopDevices.bindings(of: found.path).first(where: { $0.device == found.device }),
                      LoopDevices.users(of: binding, in: try mounter.mountTable()).isEmpty else { return false }
                try LoopDevices(runner: runner).detach(binding.device, deadline: Deadline(.seconds(10)))
                logger.info("detached unused loop device", metadata: ["device": "\(binding.device)", "file": "\(binding.path)",
                                                                     "deleted": "\(binding.isDeleted)"])
                return true
            }
            if done == true { detached.append(found.device) }
        }
        return detached
    }

    public func release(at path: String, record: StagingRecord?, deadline: Deadline) throws {
        let table = try mounter.mountTable()
        let source = table.mount(at: path)?.source
        try Unmounter(mounter: mounter).unmountAll(path)
        // Detach only a loop device moor bound to its own disk file.
        let device = record?.device ?? source
        if let device, let backing = LoopDevices.backingFile(of: device), backing.hasPrefix(state.disksRoot + "/") {
            let after = try mounter.mountTable()
            let stillMounted = (try? Sys.stat(device)).map { !after.mounts(of: Sys.deviceNumber($0)).isEmpty } ?? false
            if !stillMounted { try LoopDevices(runner: runner).detach(device, deadline: deadline) }
        }
    }
}
