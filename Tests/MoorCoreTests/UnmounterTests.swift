import MoorTestSupport
import SystemPackage
import Testing
@testable import MoorCore

/// `Unmounter.unmountAll` with a `FakeMounter`: idempotent, unmounts every
/// stacked mount, escalates a corrupted one, and reports a busy one.
@Suite struct UnmounterTests {
    static func mounter(stacked count: Int, at path: String = "/pods/a/vol") throws -> FakeMounter {
        let mounter = FakeMounter.host()
        for index in 0..<count {
            try mounter.mount(MountRequest(source: "tmpfs-\(index)", target: path, kind: .fileSystem(type: "tmpfs", options: MountOptionList())))
        }
        return mounter
    }

    @Test func everyStackedMountIsUnmounted() throws {
        let mounter = try Self.mounter(stacked: 3)
        try Unmounter(mounter: mounter).unmountAll("/pods/a/vol")
        #expect(mounter.unmounted == Array(repeating: "/pods/a/vol", count: 3))
        #expect(try !mounter.mountTable().isMountPoint("/pods/a/vol"))
        #expect(try mounter.mountTable().isMountPoint("/"), "nothing else is touched")
    }

    @Test func aPathWithNothingMountedIsAlreadyUnmounted() throws {
        let mounter = try Self.mounter(stacked: 0)
        try Unmounter(mounter: mounter).unmountAll("/pods/a/vol")
        #expect(mounter.unmounts.isEmpty)
    }

    @Test func aMountThatWentAwayMeanwhileIsSuccess() throws {
        let mounter = try Self.mounter(stacked: 1)
        let stale = try mounter.mountTable()
        try mounter.unmount("/pods/a/vol", mode: .normal) // another unmount won the race
        try Unmounter(mounter: mounter).unmountAll("/pods/a/vol", table: stale)
        #expect(mounter.unmounts.count == 2, "its EINVAL counts as done")
    }

    @Test func aBusyMountIsABusyErrorAndStaysMounted() throws {
        let mounter = try Self.mounter(stacked: 1)
        mounter.failUnmount = { path, _ in SystemCallError("umount2", path, .resourceBusy) }
        let error = #expect(throws: MoorError.self) { try Unmounter(mounter: mounter).unmountAll("/pods/a/vol") }
        #expect(error?.kind == .busy)
        #expect(try mounter.mountTable().isMountPoint("/pods/a/vol"))
    }

    @Test(arguments: [Errno.socketNotConnected, .staleNFSFileHandle, .ioError])
    func aCorruptedMountIsForced(errno: Errno) throws {
        let mounter = try Self.mounter(stacked: 1)
        mounter.failUnmount = { path, mode in mode == .normal ? SystemCallError("umount2", path, errno) : nil }
        try Unmounter(mounter: mounter).unmountAll("/pods/a/vol")
        #expect(mounter.unmounts.map(\.mode) == [.normal, .force])
        #expect(try !mounter.mountTable().isMountPoint("/pods/a/vol"))
    }

    @Test func aCorruptedMountThatRefusesForceIsDetached() throws {
        let mounter = try Self.mounter(stacked: 1)
        mounter.failUnmount = { path, mode in mode == .detach ? nil : SystemCallError("umount2", path, .socketNotConnected) }
        try Unmounter(mounter: mounter).unmountAll("/pods/a/vol")
        #expect(mounter.unmounts.map(\.mode) == [.normal, .force, .detach])
        #expect(try !mounter.mountTable().isMountPoint("/pods/a/vol"))
    }

    @Test func otherFailuresAreThrownAsTheyAre() throws {
        let mounter = try Self.mounter(stacked: 1)
        mounter.failUnmount = { path, _ in SystemCallError("umount2", path, .notPermitted) }
        #expect(throws: SystemCallError.self) { try Unmounter(mounter: mounter).unmountAll("/pods/a/vol") }
        #expect(mounter.unmounts.map(\.mode) == [.normal])
    }
}
