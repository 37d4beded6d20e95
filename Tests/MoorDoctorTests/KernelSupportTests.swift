import Foundation
import Testing
@testable import MoorDoctor

/// The three routes to a kernel feature, on real module trees written to a
/// temp dir (this machine's own kernel has no module tree at all).
final class KernelSupportTests {
    let root: String

    deinit { try? FileManager.default.removeItem(atPath: root) }

    init() throws {
        var template = Array("/tmp/moor-doctor-XXXXXX".utf8CString)
        root = String(cString: try #require(mkdtemp(&template)))
        try FileManager.default.createDirectory(atPath: root + "/sys/module/loop", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/lib/6.1.0-56-amd64", withIntermediateDirectories: true)
        try """
            kernel/fs/nfs/nfs.ko.xz: kernel/net/sunrpc/sunrpc.ko.xz kernel/fs/lockd/lockd.ko.xz
            kernel/drivers/scsi/iscsi_tcp.ko.xz: kernel/drivers/scsi/libiscsi_tcp.ko.xz
            kernel/drivers/md/dm-multipath.ko.xz: kernel/drivers/md/dm-mod.ko.xz

            """.write(toFile: root + "/lib/6.1.0-56-amd64/modules.dep", atomically: true, encoding: .utf8)
        try "kernel/fs/fuse/fuse.ko\n".write(toFile: root + "/lib/6.1.0-56-amd64/modules.builtin", atomically: true, encoding: .utf8)
    }

    func kernel(_ release: String, filesystems: String = "nodev\tsysfs\n\text4\nnodev\tfuse\n") -> KernelSupport {
        KernelSupport(release: release, filesystemsText: filesystems, modulesRoot: root + "/lib", sysModuleRoot: root + "/sys/module")
    }

    @Test func registeredLoadedBuiltinAndLoadableAreAvailable() {
        let k = kernel("6.1.0-56-amd64", filesystems: "nodev\tsysfs\n\text4\n")
        #expect(k.fileSystem("ext4") == .registered)
        #expect(k.module("loop") == .loaded)
        #expect(k.fileSystem("fuse") == .builtin("kernel/fs/fuse/fuse.ko"))
        #expect(k.fileSystem("nfs") == .loadable(root + "/lib/6.1.0-56-amd64/kernel/fs/nfs/nfs.ko.xz"))
        #expect(k.module("iscsi_tcp").isAvailable)
        #expect(k.module("dm_multipath").isAvailable, "dm-multipath.ko is module dm_multipath")
    }

    @Test func modulesOfAnotherKernelDoNotCount() {
        let k = kernel("6.18.44-fc-v669")
        guard case .missing(let reason) = k.fileSystem("nfs") else { Issue.record("nfs counted as available"); return }
        #expect(reason == "not in /proc/filesystems and no module for the running kernel 6.18.44-fc-v669 (\(root)/lib has modules only for 6.1.0-56-amd64)")
        #expect(!k.module("iscsi_tcp").isAvailable)
        #expect(k.fixForMissing("nfs", config: "CONFIG_NFS_FS").contains("install the modules of 6.18.44-fc-v669"))
    }

    @Test func aModuleTreeWithoutTheModuleSaysSo() throws {
        try FileManager.default.createDirectory(atPath: root + "/lib/6.9.0-min", withIntermediateDirectories: true)
        guard case .missing(let reason) = kernel("6.9.0-min").module("iscsi_tcp") else { Issue.record("found"); return }
        #expect(reason.hasSuffix("(\(root)/lib/6.9.0-min has no iscsi_tcp in modules.dep or modules.builtin)"))
    }

    @Test func procFilesystemsIsReadByItsSecondColumn() {
        #expect(KernelSupport.parseFilesystems("nodev\tsysfs\n\text4\nnodev\tfuse\n\txfs\n") == ["sysfs", "ext4", "fuse", "xfs"])
    }

    @Test func aMissingDeviceNodeOfALoadableModuleIsAProblemFixedByModprobe() {
        let checks = KernelChecks(kernel: kernel("6.1.0-56-amd64", filesystems: ""))
        let node = root + "/dev-fuse"
        let loadable = checks.deviceNode("fuse.dev-fuse", .fuse, node, module: "nfs", config: "CONFIG_NFS_FS", major: 10, minor: 229)
        #expect(loadable.status == .problem)
        #expect(loadable.fix == "modprobe nfs, and load it at every boot: echo nfs > /etc/modules-load.d/moor.conf")
        let missing = KernelChecks(kernel: kernel("6.18.44-fc-v669"))
            .deviceNode("fuse.dev-fuse", .fuse, node, module: "cuse", config: "CONFIG_CUSE", major: 10, minor: 203)
        #expect(missing.status == .problem)
        #expect(missing.fix?.contains("CONFIG_CUSE") == true)
        #expect(checks.deviceNode("x", .fuse, "/dev/null", module: "nfs", config: "", major: 1, minor: 3).status == .ok)
    }
}
