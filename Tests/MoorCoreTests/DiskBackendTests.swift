import Foundation
import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// A block device node on this machine (a loop device if there is one).
enum AnyBlockDevice {
    static let path: String? = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return names.sorted().map { "/dev/" + $0 }.first { path in
            var info = stat()
            return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFBLK
        }
    }()
}

/// `DiskBackend` with a `device=` disk: the policy check, then SafeFormat's
/// probe and mkfs through a `ScriptedRunner` and the mount through a
/// `FakeMounter`. The device is only stat'ed, never opened, so any block
/// device node will do; without one the suite is skipped.
@Suite(.enabled(if: AnyBlockDevice.path != nil)) struct DiskBackendTests {
    struct Node {
        let dir: TempDirectory
        let runner: ScriptedRunner
        let mounter = FakeMounter()
        let backend: DiskBackend
        let device = AnyBlockDevice.path!
        var staging: String { dir.path + "/staging/disk" }

        init(blkid: (status: Int32, stdout: String), allowed: Bool = true) throws {
            dir = try TempDirectory()
            runner = ScriptedRunner(["blkid": blkid, "mkfs.ext4": (0, ""), "mkfs.xfs": (0, ""), "fsck": (0, "")])
            var policy = Policy()
            if allowed { policy.allowedDevices = [AnyBlockDevice.path!] }
            backend = DiskBackend(node: NodeContext(state: StateDirectory(root: dir.path), policy: { [policy] in policy }, runner: runner,
                                                    mounter: mounter, logger: Logger(label: "test")))
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        }

        func stage(_ options: [String: String] = [:]) throws -> StageResult {
            try backend.stage(VolumeDefinition.parse(["type": "disk", "device": device].merging(options) { $1 }),
                              at: staging, deadline: Deadline(.seconds(30)))
        }
    }

    @Test func aBlankDeviceIsFormattedThenMounted() throws {
        let node = try Node(blkid: (2, "")); defer { node.dir.remove() }
        let result = try node.stage()
        #expect(result.created)
        #expect(node.runner.programs == ["blkid", "mkfs.ext4"])
        #expect(node.runner.arguments(of: "mkfs.ext4")?.last == node.device)
        #expect(node.mounter.entries.first?.mountPoint == node.staging)
        #expect(node.mounter.entries.first?.fsType == "ext4")
        #expect(node.mounter.entries.first?.source == node.device)
        #expect(result.record.device == node.device)
    }

    @Test func theRequestedFileSystemIsTheOneMade() throws {
        let node = try Node(blkid: (2, "")); defer { node.dir.remove() }
        _ = try node.stage(["fsType": "xfs"])
        #expect(node.runner.programs == ["blkid", "mkfs.xfs"])
        #expect(node.mounter.entries.first?.fsType == "xfs")
    }

    @Test func aDeviceWithAFileSystemIsMountedWithoutMkfs() throws {
        let node = try Node(blkid: (0, "TYPE=xfs\n")); defer { node.dir.remove() }
        let result = try node.stage()
        #expect(!result.created)
        #expect(!node.runner.programs.contains { $0.hasPrefix("mkfs") })
        #expect(node.mounter.entries.first?.fsType == "xfs")
    }

    @Test func aDeviceWithAPartitionTableIsNeitherFormattedNorMounted() throws {
        let node = try Node(blkid: (0, "PTTYPE=gpt\n")); defer { node.dir.remove() }
        let error = #expect(throws: MoorError.self) { _ = try node.stage() }
        #expect(error?.kind == .dataProtected)
        #expect(!node.runner.programs.contains { $0.hasPrefix("mkfs") })
        #expect(node.mounter.requests.isEmpty)
    }

    @Test func aDeviceThePolicyDoesNotAllowIsRefusedBeforeAnythingRuns() throws {
        let node = try Node(blkid: (2, ""), allowed: false); defer { node.dir.remove() }
        let error = #expect(throws: MoorError.self) { _ = try node.stage() }
        #expect(error?.kind == .forbidden)
        #expect(node.runner.commands.isEmpty)
        #expect(node.mounter.requests.isEmpty)
    }

    @Test func releaseUnmountsAndLeavesAForeignDeviceAttached() throws {
        let node = try Node(blkid: (2, "")); defer { node.dir.remove() }
        let result = try node.stage()
        try node.backend.release(at: node.staging, record: result.record, deadline: Deadline(.seconds(30)))
        #expect(node.mounter.unmounted == [node.staging])
        #expect(node.mounter.entries.isEmpty)
        #expect(!node.runner.programs.contains("losetup"), "only loop devices of moor's own images are detached")
    }

    @Test func theCorePublishesADeviceDiskAndReleasesItWithItsLastConsumer() throws {
        let node = try Node(blkid: (2, "")); defer { node.dir.remove() }
        var policy = Policy()
        policy.allowedDevices = [node.device]
        let core = Core(state: StateDirectory(root: node.dir.path + "/state"), policy: policy, mounter: node.mounter,
                        runner: node.runner, logger: Logger(label: "test"))
        let definition = try VolumeDefinition.parse(["type": "disk", "device": node.device])
        let target = try node.dir.directory("pods/a")
        try core.publish(definition, to: .init(target: target))
        let staging = core.state.stagingPath(try core.backend(for: .disk).stagingKey(for: definition))
        #expect(node.mounter.entries.map(\.mountPoint) == [staging, target])
        #expect(node.runner.programs == ["blkid", "mkfs.ext4"])
        try core.unpublish(target)
        #expect(node.mounter.unmounted == [target, staging])
        #expect(node.mounter.entries.isEmpty)
    }
}
