#if canImport(Glibc)
import Glibc
#endif
import MoorTestSupport
import Testing
@testable import MoorCore

/// Which loop device may be reused for a disk image: the data-loss bug of
/// issue 11 item 4 was a loop bound to a deleted image, matched by path.
@Suite struct LoopDeviceTests {
    @Test(arguments: [
        ("/var/lib/moor/disks/v.img\n", "/var/lib/moor/disks/v.img", false),
        ("/var/lib/moor/disks/v.img (deleted)\n", "/var/lib/moor/disks/v.img", true),
        ("/var/lib/moor/disks/v.img (deleted)", "/var/lib/moor/disks/v.img", true),
        ("/tmp/a (deleted) b\n", "/tmp/a (deleted) b", false),
    ])
    func backingFileTextSaysWhetherTheFileWasDeleted(text: String, path: String, deleted: Bool) {
        let parsed = LoopBinding.parseBackingFile(text)
        #expect(parsed.path == path)
        #expect(parsed.deleted == deleted)
    }

    static let image = "/var/lib/moor/disks/v.img"
    static let now = FileID(device: DeviceNumber(major: 254, minor: 1), inode: 42)
    static let before = FileID(device: DeviceNumber(major: 254, minor: 1), inode: 41)

    @Test(arguments: [
        (LoopBinding(device: "/dev/loop0", path: image, isDeleted: false, file: now), FileID?.some(now), LoopBinding.Match.current),
        (LoopBinding(device: "/dev/loop0", path: image, isDeleted: true, file: before), now, .stale),
        // Replaced by rename: the path is live, the inode is another one.
        (LoopBinding(device: "/dev/loop0", path: image, isDeleted: false, file: before), now, .stale),
        (LoopBinding(device: "/dev/loop0", path: image, isDeleted: true, file: now), now, .stale),
        (LoopBinding(device: "/dev/loop0", path: image, isDeleted: false, file: now), nil, .stale),
        // No device node to ask: a live path is the same file.
        (LoopBinding(device: "/dev/loop0", path: image, isDeleted: false, file: nil), now, .current),
        (LoopBinding(device: "/dev/loop0", path: image, isDeleted: true, file: nil), now, .stale),
        (LoopBinding(device: "/dev/loop0", path: image + ".old", isDeleted: false, file: now), now, .unrelated),
    ])
    func onlyALoopOnTheImageAsItIsNowIsReused(binding: LoopBinding, current: FileID?, expected: LoopBinding.Match) {
        #expect(binding.match(image: Self.image, current: current) == expected)
    }

    @Test func aLoopIsInUseWhenItsDeviceIsMounted() {
        let binding = LoopBinding(device: "/dev/loop-unit", path: Self.image, isDeleted: true, number: DeviceNumber(major: 7, minor: 3))
        let table = MountTable(parsing: "30 1 7:3 / /var/lib/moor/staging/disk-v-0123456789abcdef rw - ext4 /dev/loop3 rw\n"
                                        + "31 1 7:4 / /elsewhere rw - ext4 /dev/loop4 rw")
        #expect(LoopDevices.users(of: binding, in: table) == ["/var/lib/moor/staging/disk-v-0123456789abcdef"])
        #expect(LoopDevices.users(of: binding, in: MountTable(entries: [])).isEmpty)
    }
}

/// `LoopDevices.attach` on real loop devices: a device bound to a deleted
/// or replaced image is detached and a new one bound to the image as it is now.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(1)))
struct LoopDeviceAttachTests {
    let loops = LoopDevices(runner: CommandRunner())
    func noMounts() throws -> MountTable { MountTable(entries: []) }

    func image(in dir: TempDirectory, _ name: String = "v.img") throws -> String {
        let path = dir.path + "/" + name
        let fd = try Sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        defer { Sys.close(fd) }
        try Sys.ftruncate(fd, 1 << 20, path)
        return path
    }

    @Test func theInodeIsReadFromTheKernelAndReusedOnlyWhileItIsTheImage() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let path = try image(in: dir)
        let first = try loops.attach(path, mountTable: noMounts, deadline: Deadline(.seconds(10)))
        defer { try? loops.detach(first, deadline: Deadline(.seconds(10))) }
        let binding = try #require(LoopDevices.bindings(of: path).first)
        #expect(binding.file == Sys.fileID(try Sys.stat(path)))
        #expect(try loops.attach(path, mountTable: noMounts, deadline: Deadline(.seconds(10))) == first, "reused")

        // Replaced by rename, as a re-created image would be.
        let replacement = try image(in: dir, "new.img")
        try Sys.rename(replacement, path)
        let stale = try #require(LoopDevices.bindings(of: path).first { $0.device == first })
        #expect(stale.isDeleted)
        #expect(stale.match(image: path, current: Sys.fileID(try Sys.stat(path))) == .stale)
        #expect(LoopDevices.devices(backedBy: path).isEmpty)

        let second = try loops.attach(path, mountTable: noMounts, deadline: Deadline(.seconds(10)))
        defer { try? loops.detach(second, deadline: Deadline(.seconds(10))) }
        let now = LoopDevices.bindings(of: path)
        #expect(now.count == 1, "the stale device was detached")
        #expect(now.first?.isDeleted == false)
        #expect(now.first?.file == Sys.fileID(try Sys.stat(path)))
    }
}

/// The `losetup` fallback and detach's "already free", with a `ScriptedRunner`.
@Suite struct LoopDeviceHelperTests {
    static func attach(_ runner: ScriptedRunner) throws -> String {
        try LoopDevices(runner: runner).attachWithLosetup("/var/lib/moor/disks/v.img", deadline: Deadline(.seconds(10)))
    }

    @Test func losetupIsAskedForAFreeDeviceWithoutOverlapScanning() throws {
        let runner = ScriptedRunner(["losetup": (0, "/dev/loop7\n")])
        #expect(try Self.attach(runner) == "/dev/loop7")
        #expect(runner.arguments(of: "losetup") == ["--find", "--show", "--", "/var/lib/moor/disks/v.img"])
    }

    @Test func losetupOutputThatNamesNoLoopDeviceIsAnError() throws {
        let runner = ScriptedRunner(["losetup": (0, "something else\n")])
        let error = #expect(throws: MoorError.self) { _ = try Self.attach(runner) }
        #expect(error?.message.contains("did not name a loop device") == true)
    }

    @Test func aFailedLosetupIsAHelperError() throws {
        let runner = ScriptedRunner(["losetup": (1, "")])
        let error = #expect(throws: HelperError.self) { _ = try Self.attach(runner) }
        #expect(error?.status == 1)
    }

    @Test func detachOfADeviceThatIsNotBoundRunsNothing() throws {
        let runner = ScriptedRunner()
        try LoopDevices(runner: runner).detach("/dev/loop-unit-never-bound", deadline: Deadline(.seconds(10)))
        #expect(runner.commands.isEmpty)
    }
}
