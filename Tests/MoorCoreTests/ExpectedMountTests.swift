import Testing
@testable import MoorCore

/// Verify, then bind: what the mount table must show at a staging path.
@Suite struct ExpectedMountTests {
    static func entry(root: String = "/", device: String = "7:3", type: String = "ext4") -> MountEntry? {
        MountTable(parsing: "40 1 \(device) \(root) /var/lib/moor/staging/disk-a-0123 rw,relatime shared:9 - \(type) /dev/loop3 rw").entries.first
    }

    @Test func theMountTheBackendMeantPasses() {
        let expected = ExpectedMount(fsTypes: ["ext4", "xfs"], device: DeviceNumber(major: 7, minor: 3))
        #expect(expected.mismatch(Self.entry()) == nil)
    }

    /// mount(8)'s `X-mount.subdir=lost+found` mounts a subdirectory there: never bound.
    @Test func onlyASubdirectoryOfTheFileSystemIsRefused() {
        let expected = ExpectedMount(fsTypes: ["ext4"])
        #expect(expected.mismatch(Self.entry(root: "/lost+found")) == "only a subdirectory of the file system is mounted there")
    }

    @Test func nothingMountedIsRefused() {
        #expect(ExpectedMount(fsTypes: nil).mismatch(nil) == "nothing is mounted there")
    }

    @Test func anotherTypeOrDeviceIsRefused() {
        #expect(ExpectedMount(fsTypes: ["nfs", "nfs4"]).mismatch(Self.entry())?.contains("ext4 file system is mounted there, not nfs or nfs4") == true)
        #expect(ExpectedMount(fsTypes: nil, device: DeviceNumber(major: 8, minor: 0)).mismatch(Self.entry()) == "device 7:3 is mounted there, not 8:0")
    }

    /// A bind of a host directory mounts a part of its file system by design.
    @Test func aBindMayShowASubdirectory() {
        #expect(ExpectedMount(fsTypes: nil, wholeFileSystem: false).mismatch(Self.entry(root: "/srv/data")) == nil)
    }
}
