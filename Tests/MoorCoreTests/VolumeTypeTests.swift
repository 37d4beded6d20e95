import Testing
@testable import MoorCore

@Suite struct VolumeTypeTests {
    @Test(arguments: [(nil, VolumeType.disk), ("", .disk), ("nfs", .nfs), ("iscsi", .iscsi), ("fuse", .fuse), ("bind", .bind), ("disk", .disk)])
    func theTypeOptionNamesAType(option: String?, type: VolumeType) {
        #expect(VolumeType(option: option) == type)
    }

    @Test(arguments: ["NFS", "nfs4", "local", " disk"])
    func anUnknownNameIsNoType(option: String) {
        #expect(VolumeType(option: option) == nil)
        #expect(throws: OptionError.self) { try VolumeDefinition.parse(["type": option]) }
    }

    /// Every type reads `type` and the common keys it documents, and parses
    /// to a spec of its own type.
    @Test(arguments: VolumeType.allCases)
    func everyTypeDeclaresTypeAndTimeout(type: VolumeType) {
        #expect(type.keys.contains("type"))
        #expect(type.keys.contains("timeout"))
        #expect(type.keys.contains("fsType") == type.takesFileSystemType)
    }

    @Test func blockDevicesGetTheLongerDefaultTimeout() {
        #expect(VolumeType.allCases.filter { $0.defaultTimeout == .seconds(120) } == [.disk, .iscsi])
    }
}
