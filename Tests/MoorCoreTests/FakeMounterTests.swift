import Foundation
import MoorTestSupport
import SystemPackage
import Testing
@testable import MoorCore

/// The shared `FakeMounter` shows what the core reads back from the kernel:
/// the tests of `Core` and the backends are only as good as this model.
@Suite struct FakeMounterTests {
    static func fileSystem(_ source: String, at target: String, type: String = "ext4") -> MountRequest {
        MountRequest(source: source, target: target, kind: .fileSystem(type: type, options: MountOptionList()))
    }

    @Test func aFileSystemGetsOneDeviceNumberPerSource() throws {
        let mounter = FakeMounter()
        try mounter.mount(Self.fileSystem("/dev/unit-disk-a", at: "/a"))
        try mounter.mount(Self.fileSystem("/dev/unit-disk-a", at: "/a2"))
        try mounter.mount(Self.fileSystem("server:/export", at: "/n", type: "nfs4"))
        let table = try mounter.mountTable()
        let a = try #require(table.mount(at: "/a")), a2 = try #require(table.mount(at: "/a2")), n = try #require(table.mount(at: "/n"))
        #expect(a.device == a2.device)
        #expect(a.device.major == 259)
        #expect(n.device.major == 0, "a network file system has an anonymous device")
        #expect(n.device != a.device)
        #expect(a.root == "/" && a.fsType == "ext4" && a.source == "/dev/unit-disk-a")
    }

    @Test func aBindOfADirectoryInsideAMountShowsItsPathAsRoot() throws {
        let mounter = FakeMounter.host()
        try mounter.mount(Self.fileSystem("/dev/unit-disk", at: "/staging/d"))
        try mounter.mount(.bind("/staging/d/sub/dir", to: "/pods/a", readOnly: true))
        try mounter.mount(.bind("/srv/data", to: "/pods/b"))
        let table = try mounter.mountTable()
        let a = try #require(table.mount(at: "/pods/a")), b = try #require(table.mount(at: "/pods/b"))
        #expect(a.device == table.mount(at: "/staging/d")?.device)
        #expect(a.root == "/sub/dir")
        #expect(a.isReadOnly)
        #expect(b.root == "/srv/data" && b.device == DeviceNumber(major: 254, minor: 0))
    }

    @Test func aBindFromADescriptorIsResolvedWithReadlink() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let mounter = FakeMounter.host()
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try mounter.mount(.bind("/proc/self/fd/\(fd)", to: "/pods/a"))
        #expect(try mounter.mountTable().mount(at: "/pods/a")?.root == dir.path)
    }

    @Test func aBindJoinsTheSourcesPeerGroupAndPropagationEditsIt() throws {
        let mounter = FakeMounter.host()
        try mounter.mount(.bind("/srv/data", to: "/staging/s"))
        #expect(try mounter.mountTable().mount(at: "/staging/s")?.optionalFields == ["shared:1"], "the host root's group")
        try mounter.mount(MountRequest(source: "none", target: "/staging/s", kind: .propagation(.privatePropagation)))
        #expect(try mounter.mountTable().mount(at: "/staging/s")?.optionalFields == [])
        try mounter.mount(MountRequest(source: "none", target: "/staging/s", kind: .propagation(.sharedPropagation)))
        let group = try #require(try mounter.mountTable().mount(at: "/staging/s")?.optionalFields.first)
        #expect(group.hasPrefix("shared:") && group != "shared:1")
        try mounter.mount(.bind("/staging/s", to: "/pods/a"))
        #expect(try mounter.mountTable().mount(at: "/pods/a")?.optionalFields == [group])
        try mounter.mount(MountRequest(source: "none", target: "/pods/a", kind: .propagation(.slavePropagation)))
        #expect(try mounter.mountTable().mount(at: "/pods/a")?.optionalFields == ["master:" + group.dropFirst("shared:".count)])
    }

    @Test func unmountRemovesTheTopMountAndFailsWithEINVALWhenNothingIsThere() throws {
        let mounter = FakeMounter.host()
        try mounter.mount(Self.fileSystem("a", at: "/m", type: "tmpfs"))
        try mounter.mount(Self.fileSystem("b", at: "/m", type: "tmpfs"))
        try mounter.unmount("/m", mode: .normal)
        #expect(try mounter.mountTable().mount(at: "/m")?.source == "a")
        try mounter.unmount("/m", mode: .normal)
        let error = #expect(throws: SystemCallError.self) { try mounter.unmount("/m", mode: .normal) }
        #expect(error?.errno == .invalidArgument)
    }

    @Test func injectedFailuresLeaveTheTableAsItWas() throws {
        let mounter = FakeMounter.host()
        mounter.fail = { _ in SystemCallError("mount", "/m", .permissionDenied) }
        #expect(throws: SystemCallError.self) { try mounter.mount(Self.fileSystem("a", at: "/m", type: "tmpfs")) }
        #expect(mounter.entries.count == 1)
        #expect(mounter.requests.count == 1, "failed requests are recorded too")
        mounter.fail = { _ in nil }
        try mounter.mount(Self.fileSystem("a", at: "/m", type: "tmpfs"))
        mounter.failUnmount = { path, _ in SystemCallError("umount2", path, .resourceBusy) }
        #expect(throws: SystemCallError.self) { try mounter.unmount("/m", mode: .normal) }
        #expect(try mounter.mountTable().isMountPoint("/m"))
    }
}
