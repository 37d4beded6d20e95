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
    let node: NodeContext
    var runner: any CommandRunning { node.runner }
    var mounter: any Mounter { node.mounter }
    var logger: Logger { node.logger }

    public init(node: NodeContext) { self.node = node }

    private func nfs(_ definition: VolumeDefinition) -> NFSSpec {
        guard case .nfs(let spec) = definition.spec else { preconditionFailure("NFSBackend given a \(definition.spec.type) volume") }
        return spec
    }

    public func stagingKey(for definition: VolumeDefinition) throws -> StagingKey {
        let spec = nfs(definition)
        // The same export with other options (version, ro, ...) is another mount.
        let options = [spec.version ?? "", definition.common.readOnly ? "ro" : "rw", definition.common.mountOptions.joined]
        return try node.stagingKey(prefix: "nfs-" + spec.server, source: ([spec.server, spec.share] + options).joined(separator: "\u{0}"))
    }

    func client(_ spec: NFSSpec, _ deadline: Deadline, step: String) throws -> NFSClient {
        NFSClient(server: spec.server, share: spec.share, version: spec.version, timeout: min(try deadline.remaining(for: step), .seconds(60)))
    }

    public func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult {
        let spec = nfs(definition)
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
        let result = try runner.run(Command("mount", ["-t", "nfs", "-o", options.isEmpty ? "defaults" : options.joined, "--", source, path],
                                            timeout: deadline.remaining(for: "mount.nfs")))
        guard result.succeeded else {
            throw MoorError(.system, "mount.nfs \(source) failed: \(CommandResult.tail(result.stderr.isEmpty ? result.stdout : result.stderr))")
        }
        // The subdir itself is opened (without following symlinks) when a
        // consumer binds it, which names what is missing or not allowed.
        return StageResult(record: StagingRecord(type: .nfs, source: source), created: false,
                           expected: ExpectedMount(fsTypes: ["nfs", "nfs4"]))
    }

    public func consumerSubdirectory(for definition: VolumeDefinition) -> String? { nfs(definition).subdir }

    /// `umount` under a deadline, then `umount -f` (a dead server), then a
    /// lazy unmount, each a killable helper: the kernel can block an unmount
    /// of an NFS mount whose server is gone.
    public func release(at path: String, record: StagingRecord?, deadline: Deadline) throws {
        try NetworkUnmount(runner: runner, mounter: mounter, logger: logger).unmount(path, deadline: deadline)
    }

    public func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws {
        let spec = nfs(definition)
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
