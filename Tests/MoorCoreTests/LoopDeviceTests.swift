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
