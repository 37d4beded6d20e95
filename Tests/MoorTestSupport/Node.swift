import Foundation

/// What this machine offers the integration tests. In CI (`CI=true`) the
/// integration suites are never gated: a missing prerequisite must fail
/// the run, because a skipped suite proves nothing.
public enum Node {
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    public static var isRoot: Bool { getuid() == 0 }

    /// Root, loop devices and mkfs.ext4; always true in CI so the tests run and fail loudly.
    public static var canMountLoopDevices: Bool {
        isCI || (isRoot && FileManager.default.fileExists(atPath: "/dev/loop-control")
            && FileManager.default.isExecutableFile(atPath: "/sbin/mkfs.ext4"))
    }

    /// Root, for bind mounts of host directories; always true in CI.
    public static var canBindMount: Bool { isCI || isRoot }

    /// Root and Debian's dockerd; always true in CI.
    public static var canRunDocker: Bool {
        isCI || (isRoot && FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd") && canMountLoopDevices)
    }

    /// Root, /dev/fuse, sshfs and sshd; always true in CI.
    public static var canRunFUSE: Bool {
        isCI || (isRoot && FileManager.default.fileExists(atPath: "/dev/fuse")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/sshfs")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd"))
    }

    /// Root, ganesha, rpcbind and network namespaces; always true in CI.
    public static var canRunNFSServer: Bool {
        isCI || (isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/ganesha.nfsd")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/rpcbind"))
    }

    /// Whether this kernel can mount NFS (it cannot here: the QEMU guest tests do that).
    public static var hasKernelNFSClient: Bool {
        ((try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8)) ?? "").split(separator: "\n").contains { $0.hasSuffix("\tnfs") }
    }
}
