#if canImport(Glibc)
import Glibc
#endif
import MoorCore

/// Findings about kernel support for each backend.
struct KernelChecks {
    let kernel: KernelSupport

    /// One kernel feature a backend needs: a file system type or a driver module.
    struct Feature {
        var id: String
        var group: FindingGroup
        var title: String
        /// A file system type (looked up in /proc/filesystems first), or nil for a plain module.
        var fileSystem: String?
        var module: String
        var config: String
        var missing: FindingStatus
        var consequence: String
    }

    static let features: [Feature] = [
        .init(id: "disk.loop", group: .disk, title: "loop device driver", fileSystem: nil, module: "loop",
              config: "CONFIG_BLK_DEV_LOOP", missing: .problem, consequence: "sparse-file disks cannot be attached"),
        .init(id: "disk.ext4", group: .disk, title: "ext4", fileSystem: "ext4", module: "ext4",
              config: "CONFIG_EXT4_FS", missing: .problem, consequence: "disk and iSCSI volumes (ext4 by default) cannot be mounted"),
        .init(id: "disk.xfs", group: .disk, title: "xfs", fileSystem: "xfs", module: "xfs",
              config: "CONFIG_XFS_FS", missing: .warning, consequence: "volumes with fsType=xfs cannot be mounted"),
        .init(id: "nfs.kernel-client", group: .nfs, title: "kernel NFS client", fileSystem: "nfs", module: "nfs",
              config: "CONFIG_NFS_FS", missing: .problem, consequence: "NFS volumes cannot be mounted"),
        .init(id: "iscsi.iscsi_tcp", group: .iscsi, title: "iSCSI initiator over TCP", fileSystem: nil, module: "iscsi_tcp",
              config: "CONFIG_ISCSI_TCP", missing: .problem, consequence: "iSCSI logins fail"),
        .init(id: "iscsi.dm_multipath", group: .iscsi, title: "device-mapper multipath", fileSystem: nil, module: "dm_multipath",
              config: "CONFIG_DM_MULTIPATH", missing: .warning, consequence: "a volume with several portals uses a single path"),
        .init(id: "fuse.kernel", group: .fuse, title: "FUSE", fileSystem: "fuse", module: "fuse",
              config: "CONFIG_FUSE_FS", missing: .problem, consequence: "FUSE shares cannot be mounted"),
    ]

    func findings() -> [Finding] {
        Self.features.map(check) + [
            deviceNode("fuse.dev-fuse", .fuse, "/dev/fuse", module: "fuse", config: "CONFIG_FUSE_FS", major: 10, minor: 229),
            deviceNode("disk.loop-control", .disk, "/dev/loop-control", module: "loop", config: "CONFIG_BLK_DEV_LOOP", major: 10, minor: 237),
        ]
    }

    func check(_ feature: Feature) -> Finding {
        let availability = feature.fileSystem.map { kernel.fileSystem($0, module: feature.module) } ?? kernel.module(feature.module)
        let found: String
        switch availability {
        case .registered:
            found = "\(feature.title): \(feature.fileSystem ?? feature.module) is in /proc/filesystems"
        case .loaded:
            found = "\(feature.title): module \(feature.module) is loaded (/sys/module/\(feature.module))"
        case .builtin(let path):
            found = "\(feature.title): built into kernel \(kernel.release) (\(path))"
        case .loadable(let path):
            found = "\(feature.title): module \(feature.module) is available (\(path)); the kernel loads it on first use"
        case .missing(let reason):
            return Finding(feature.id, feature.group, feature.missing,
                           found: "\(feature.title) missing: \(reason); \(feature.consequence)",
                           fix: kernel.fixForMissing(feature.module, config: feature.config))
        }
        return Finding(feature.id, feature.group, .ok, found: found)
    }

    /// A device node the backend opens (libfuse opens /dev/fuse, losetup
    /// /dev/loop-control) before anything would make the kernel load the
    /// driver: without the node a loadable module is never loaded. Nodes
    /// exist when the driver is loaded (devtmpfs), or ahead of it where
    /// systemd creates the static nodes of modules.devname at boot.
    func deviceNode(_ id: String, _ group: FindingGroup, _ path: String, module: String, config: String, major: Int, minor: Int) -> Finding {
        if let info = try? Sys.stat(path) {
            guard (info.st_mode & S_IFMT) == S_IFCHR else {
                return Finding(id, group, .problem, found: "\(path) exists but is not a character device",
                               fix: "rm \(path) && mknod -m 0666 \(path) c \(major) \(minor)")
            }
            return Finding(id, group, .ok, found: "\(path) is a character device")
        }
        switch kernel.module(module) {
        case .loadable:
            return Finding(id, group, .problem,
                           found: "\(path) does not exist: module \(module) is available but not loaded, and nothing loads it before \(path) is opened",
                           fix: "modprobe \(module), and load it at every boot: echo \(module) > /etc/modules-load.d/moor.conf")
        case .missing:
            return Finding(id, group, .problem, found: "\(path) does not exist and the kernel has no \(module)",
                           fix: kernel.fixForMissing(module, config: config))
        case .loaded, .builtin, .registered:
            // The driver is there, yet no node: a /dev without devtmpfs (a container).
            return Finding(id, group, .problem, found: "\(path) does not exist although the kernel has \(module) (is /dev a devtmpfs?)",
                           fix: "mknod -m 0666 \(path) c \(major) \(minor)")
        }
    }
}
