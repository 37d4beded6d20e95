#if canImport(Glibc)
import Glibc
#endif

/// Mounts with mount(2) for binds, remounts and propagation, and with
/// mount(8) (through the command runner, under a deadline) for file systems,
/// except ext4 and XFS on a local device, which need no helper.
public struct LinuxMounter: Mounter {
    let runner: any CommandRunning

    public init(runner: any CommandRunning = CommandRunner()) { self.runner = runner }

    public func mount(_ request: MountRequest) throws {
        switch request.kind {
        case .fileSystem(let type, let options):
            if request.localDevice, Self.inProcessTypes.contains(type), let kernel = KernelMountOptions(options) {
                try mountInProcess(request, type: type, options: kernel)
                return
            }
            var arguments = ["-t", type]
            if !options.isEmpty { arguments += ["-o", options.joined] }
            arguments += ["--", request.source, request.target]
            try runner.run(Command("mount", arguments, timeout: request.timeout)).check("mount")
        case .bind(let readOnly):
            try Sys.mount(source: request.source, target: request.target, fsType: nil, flags: MountFlags.bind.rawValue, data: nil)
            guard readOnly || !request.bindFlags.isEmpty else { return }
            do {
                // MS_BIND in the remount changes this mount only, not the
                // superblock that other consumers share.
                var inherited = try Self.flags(of: request.source).intersection(.lockedOnRemount)
                if !request.bindFlags.isDisjoint(with: .accessTime) { inherited.subtract(.accessTime) }
                var flags: MountFlags = [.remount, .bind, inherited, request.bindFlags]
                if readOnly { flags.insert(.readOnly) }
                try Sys.mount(source: nil, target: request.target, fsType: nil, flags: flags.rawValue, data: nil)
            } catch {
                try? Sys.unmount(request.target, flags: 0)
                throw error
            }
        case .propagation(let flags):
            try Sys.mount(source: nil, target: request.target, fsType: nil, flags: flags.rawValue, data: nil)
        }
    }

    /// File systems whose options the kernel parses whole, with no mount.<type> helper.
    static let inProcessTypes: Set<String> = ["ext4", "xfs"]

    func mountInProcess(_ request: MountRequest, type: String, options: KernelMountOptions) throws {
        do {
            try Sys.mount(source: request.source, target: request.target, fsType: type, flags: options.flags.rawValue,
                          data: options.data.isEmpty ? nil : options.data.joined(separator: ","))
        } catch {
            let hint = switch error.errno {
            case .invalidArgument: "; a mount option the file system does not know, or a damaged file system (the kernel log says which)"
            case .resourceBusy: "; the device or the directory is already in use"
            default: ""
            }
            throw MoorError(.system, "mount -t \(type) \(request.source) on \(request.target) failed: \(error.errno)\(hint)")
        }
    }

    public func unmount(_ target: String, mode: UnmountMode) throws {
        let flags: Int32
        switch mode {
        case .normal: flags = 0
        case .force: flags = Int32(MNT_FORCE)
        case .detach: flags = Int32(MNT_DETACH)
        }
        try Sys.unmount(target, flags: flags | Int32(UMOUNT_NOFOLLOW))
    }

    public func mountTable() throws -> MountTable {
        MountTable(parsing: try Sys.readText("/proc/self/mountinfo"))
    }

    /// The per-mount flags of the mount holding `path`, from statvfs(3).
    /// Linux's `ST_*` bits have the same values as the `MS_*` ones.
    static func flags(of path: String) throws -> MountFlags {
        let info = try Sys.statvfs(path)
        let known: MountFlags = [.readOnly, .lockedOnRemount]
        return MountFlags(rawValue: UInt(info.f_flag)).intersection(known)
    }
}
