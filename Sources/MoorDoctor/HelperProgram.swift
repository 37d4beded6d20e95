import MoorCore

/// The programs moor runs, per backend, and the Debian package of each.
struct HelperProgram: Sendable {
    var name: String
    var group: FindingGroup
    var package: String
    /// What a missing one costs: a problem if the backend cannot work
    /// without it, a warning if only some volumes need it.
    var missing: FindingStatus
    var purpose: String

    static let all: [HelperProgram] = [
        .init(name: "mount", group: .node, package: "mount", missing: .problem, purpose: "mounts every backend"),
        .init(name: "losetup", group: .disk, package: "mount", missing: .warning, purpose: "attaches sparse-file disks where /dev/loop-control is missing (moor uses the loop ioctls otherwise)"),
        .init(name: "blkid", group: .disk, package: "util-linux", missing: .problem, purpose: "tells a blank device from a formatted one"),
        .init(name: "mkfs.ext4", group: .disk, package: "e2fsprogs", missing: .problem, purpose: "formats ext4 volumes (the default)"),
        .init(name: "fsck", group: .disk, package: "util-linux", missing: .problem, purpose: "checks a file system before it is mounted"),
        .init(name: "mkfs.xfs", group: .disk, package: "xfsprogs", missing: .warning, purpose: "formats volumes with fsType=xfs"),
        .init(name: "mount.nfs", group: .nfs, package: "nfs-common", missing: .problem, purpose: "mounts NFS shares with the kernel client"),
        .init(name: "iscsiadm", group: .iscsi, package: "open-iscsi", missing: .problem, purpose: "logs in to iSCSI targets"),
        .init(name: "iscsid", group: .iscsi, package: "open-iscsi", missing: .problem, purpose: "the iSCSI initiator daemon"),
        .init(name: "fusermount3", group: .fuse, package: "fuse3", missing: .problem, purpose: "unmounts FUSE shares"),
        .init(name: "sshfs", group: .fuse, package: "sshfs", missing: .warning, purpose: "mounts helper=sshfs shares"),
    ]

    /// Where moor would run it from: `CommandRunner.searchPath`, which is
    /// fixed so kubelet's and dockerd's PATH do not matter.
    func check(path: String?) -> Finding {
        let id = group.rawValue + "." + name
        if let found = CommandRunner.resolve(name) {
            return Finding(id, group, .ok, found: "\(name) is at \(found)")
        }
        let searched = CommandRunner.searchPath.joined(separator: ":")
        // Installed, but where moor does not look (a PATH entry of the shell).
        let elsewhere = (path ?? "").split(separator: ":").map(String.init)
            .filter { $0.hasPrefix("/") && !CommandRunner.searchPath.contains($0) }
            .map { $0 + "/" + name }
            .first { CommandRunner.resolve($0) != nil }
        if let elsewhere {
            return Finding(id, group, missing, found: "\(name) is at \(elsewhere), outside the directories moor runs helpers from (\(searched))",
                           fix: "ln -s \(elsewhere) /usr/local/sbin/\(name)")
        }
        return Finding(id, group, missing, found: "\(name) (\(purpose)) is not installed: not found in \(searched)",
                       fix: "apt-get install \(package)")
    }
}
