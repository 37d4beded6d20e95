import Testing
@testable import MoorCore

@Suite struct KernelMountOptionsTests {
    static func options(_ text: String) throws -> KernelMountOptions? {
        KernelMountOptions(try MountOptionList.parse(text).get())
    }

    @Test func genericOptionsBecomeFlagsAndTheRestData() throws {
        let kernel = try #require(try Self.options("noatime,nosuid,nodev,noexec,discard,errors=remount-ro,ro"))
        #expect(kernel.flags == [.noAccessTime, .noSetUID, .noDevices, .noExec, .readOnly])
        #expect(kernel.data == ["discard", "errors=remount-ro"])
    }

    @Test func laterOptionsWinAsInMount8() throws {
        let kernel = try #require(try Self.options("ro,rw,noexec,exec,defaults"))
        #expect(kernel.flags == [])
        #expect(kernel.data == [])
    }

    @Test(arguments: ["nofail", "_netdev", "x-systemd.automount", "X-mount.owner=1", "user", "comment=x"])
    func userSpaceOptionsLeaveTheMountToMount8(option: String) throws {
        #expect(try Self.options("noatime," + option) == nil)
    }
}
