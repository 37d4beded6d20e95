#if canImport(Glibc)
import Glibc
#endif
import Logging

/// NFS exports: checked from userspace with libnfs first (an unreachable
/// server or a missing export fails fast), then mounted once per
/// `server:share` with the system `mount.nfs` under the volume's deadline,
/// the helper's whole process group killed on timeout. Consumers bind the
/// share, or a `subdir` of it.
public struct NFSBackend: Backend {
    public let node: NodeContext

    public init(node: NodeContext) { self.node = node }

    public static func spec(of definition: VolumeDefinition) -> NFSSpec? {
        if case .nfs(let spec) = definition.spec { spec } else { nil }
    }

    public func stagingKey(for definition: VolumeDefinition) throws -> StagingKey {
        let spec = spec(definition)
        // The same export with other options (version, ro, ...) is another mount.
        let options = [spec.version ?? "", definition.common.readOnly ? "ro" : "rw", definition.common.mountOptions.joined]
        return try node.stagingKey(prefix: "nfs-" + spec.server, source: ([spec.server, spec.share] + options).joined(separator: "\u{0}"))
    }

    func client(_ spec: NFSSpec, _ deadline: Deadline, step: String) throws -> NFSClient {
        NFSClient(server: spec.server, share: spec.share, version: spec.version, timeout: min(try deadline.remaining(for: step), .seconds(60)))
    }

    public func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult {
        let spec = spec(definition)
        let client = try client(spec, deadline, step: "nfs check")
        try client.check()
        if let subdir = spec.subdir, spec.createSubdir {
            try client.makeDirectories(subdir, mode: definition.common.mode ?? 0o755)
        }
        var options = MountOptionList()
        if let version = spec.version { options.append("vers=\(version)") }
        if definition.common.readOnly { options.append("ro") }
        for option in definition.common.mountOptions.options { options.append(option) }
        let source = (spec.server.contains(":") && !spec.server.hasPrefix("[") ? "[\(spec.server)]" : spec.server) + ":" + spec.share
        // mount(8) runs mount.nfs, under the deadline, its group killed on timeout.
        let request = MountRequest(source: source, target: path, kind: .fileSystem(type: "nfs", options: options),
                                   timeout: try deadline.remaining(for: "mount.nfs"))
        do {
            try mounter.mount(request)
        } catch let error as HelperError {
            throw MoorError(error.timedOut ? .timedOut : .system, "mount.nfs \(source) failed: \(error.stderrTail)")
        }
        // The subdir itself is opened (without following symlinks) when a
        // consumer binds it, which names what is missing or not allowed.
        return StageResult(record: StagingRecord(type: .nfs, source: source), created: false,
                           expected: ExpectedMount(fsTypes: ["nfs", "nfs4"]))
    }

    public func consumerSubdirectory(for definition: VolumeDefinition) -> String? { spec(definition).subdir }

    /// `umount` under a deadline, then `umount -f` (a dead server), then a
    /// lazy unmount, each a killable helper: the kernel can block an unmount
    /// of an NFS mount whose server is gone.
    public func release(at path: String, record: StagingRecord?, deadline: Deadline) throws {
        try NetworkUnmount(runner: runner, mounter: mounter, logger: logger).unmount(path, deadline: deadline)
    }

    public func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws {
        let spec = spec(definition)
        guard let subdir = spec.subdir, spec.onRemove != .keep else { return }
        let client = try client(spec, Deadline(definition.common.timeout), step: "nfs remove")
        guard try client.exists(subdir) else { return }
        switch spec.onRemove {
        case .keep: return
        case .archive:
            let parent = subdir.split(separator: "/").dropLast().joined(separator: "/")
            let leaf = subdir.split(separator: "/").last.map(String.init) ?? subdir
            let stamp = rfc3339Now().filter { $0.isNumber }
            let archived = (parent.isEmpty ? "" : parent + "/") + "archived-\(leaf)-\(stamp)"
            try client.rename(subdir, to: archived)
            logger.info("nfs subdirectory archived", metadata: ["subdir": "\(subdir)", "to": "\(archived)"])
        case .delete:
            try client.removeTree(subdir)
            logger.info("nfs subdirectory deleted", metadata: ["subdir": "\(subdir)"])
        }
    }
}
