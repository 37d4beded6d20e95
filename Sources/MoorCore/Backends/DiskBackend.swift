#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Local disks: a block device the policy allows, or a sparse file under
/// the state dir on a loop device. Formatted only when blank.
public struct DiskBackend: Backend {
    let node: NodeContext
    var state: StateDirectory { node.state }
    var runner: any CommandRunning { node.runner }
    var mounter: any Mounter { node.mounter }
    var logger: Logger { node.logger }

    public init(node: NodeContext) { self.node = node }

    public var ownsFileSystem: Bool { true }

    private func disk(_ definition: VolumeDefinition) -> DiskSpec {
        guard case .disk(let spec) = definition.spec else { preconditionFailure("DiskBackend given a \(definition.spec.typeName) volume") }
        return spec
    }

    public func stagingKey(for definition: VolumeDefinition) throws -> StagingKey {
        let spec = disk(definition)
        switch spec.backing {
        case .sparseFile:
            let image = state.diskImagePath(spec.name!)
            return StagingKey(prefix: "disk-" + spec.name!.rawValue, source: image)
        case .device(let path):
            let device = try checkedDevice(path)
            return StagingKey(prefix: "dev-" + (device.split(separator: "/").last.map(String.init) ?? "disk"), source: device)
        }
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
        let spec = disk(definition)
        let loops = LoopDevices(runner: runner)
        var record: StagingRecord
        let device: String
        switch spec.backing {
        case .sparseFile(let bytes):
            let image = state.diskImagePath(spec.name!)
            try ensureImage(image, bytes: bytes)
            device = try loops.attach(image, deadline: deadline)
            record = StagingRecord(type: "disk", source: "sparse file \(image)", device: device, loopBackingFile: image)
        case .device(let path):
            device = try checkedDevice(path)
            record = StagingRecord(type: "disk", source: "device \(path)", device: device)
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
        if created {
            // A fresh ext4 root holds lost+found, which makes databases such
            // as PostgreSQL and MySQL refuse the directory as "not empty".
            // fsck recreates it when it needs it.
            try? Sys.rmdir(path + "/lost+found")
        }
        return StageResult(record: record, created: created)
    }

    /// Creates the sparse image if it is missing; an existing one must have
    /// the size that was asked for, if one was.
    func ensureImage(_ image: String, bytes: UInt64?) throws {
        if let info = try? Sys.stat(image) {
            if let bytes, UInt64(info.st_size) != bytes {
                throw MoorError(.conflict, "disk image \(image) already exists with \(info.st_size) bytes, not the \(bytes) requested; moor does not resize disks")
            }
            return
        }
        try state.prepare()
        let temporary = image + ".new"
        try? Sys.unlink(temporary)
        let fd = try Sys.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        do {
            try Sys.ftruncate(fd, bytes ?? DiskSpec.defaultSize, temporary)
            try Sys.fsync(fd, temporary)
            Sys.close(fd)
        } catch {
            Sys.close(fd)
            try? Sys.unlink(temporary)
            throw error
        }
        try Sys.rename(temporary, image)
    }

    /// A sparse disk named after the volume is its own: its image goes.
    /// A device, or another volume's disk (`-o name=other`), stays.
    public func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws {
        let spec = disk(definition)
        guard case .sparseFile = spec.backing, spec.name == volumeName else { return }
        try Sys.unlink(state.diskImagePath(volumeName))
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
