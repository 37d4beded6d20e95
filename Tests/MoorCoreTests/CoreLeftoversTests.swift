import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// Crash leftovers (issue 11, item 8): a staging mount that no consumer
/// uses is released by the next destroy or sweep instead of making
/// `Remove` answer "in use" forever.
@Suite struct CoreLeftoversTests {
    static func line(_ id: Int, _ mountPoint: String, device: String = "7:99") -> String {
        "\(id) 1 \(device) / \(mountPoint) rw,relatime - ext4 /dev/loop-unit rw"
    }

    func setUp(_ dir: TempDirectory, consumers: [String]) throws -> (Core, FakeMounter, VolumeDefinition, StagingKey) {
        let state = StateDirectory(root: dir.path)
        let definition = try VolumeDefinition.parse(["size": "16M"], name: "v")
        let key = StagingKey(prefix: "disk-v", source: state.diskImagePath(VolumeName("v")!), nodeKey: try NodeKey.load(stateRoot: state.root))
        let mounter = FakeMounter(mountinfo: [Self.line(20, "/", device: "254:0"), Self.line(30, state.stagingPath(key))]
                                   + consumers.enumerated().map { Self.line(31 + $0.offset, $0.element) })
        let core = Core(state: state, policy: Policy(), mounter: mounter, runner: ScriptedRunner([:]), logger: Logger(label: "test"))
        try state.prepare()
        try state.writeAtomically(state.recordPath(key), StagingRecord(type: .disk, source: "test", device: "/dev/loop-unit").encoded())
        try state.writeAtomically(state.diskImagePath(VolumeName("v")!), [0])
        return (core, mounter, definition, key)
    }

    @Test func destroyReleasesAStagingMountNoConsumerUses() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let (core, mounter, definition, key) = try setUp(dir, consumers: [])
        try core.destroy(definition, volumeName: VolumeName("v")!)
        #expect(mounter.unmounted == [core.state.stagingPath(key)])
        #expect((try? Sys.stat(core.state.diskImagePath(VolumeName("v")!))) == nil, "and then the image is deleted")
        #expect(StagingRecord.load(core.state.recordPath(key)) == nil)
    }

    @Test func destroyIsRefusedWhileAConsumerUsesTheStagingMount() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let (core, mounter, definition, _) = try setUp(dir, consumers: ["/pods/a/v"])
        #expect(throws: MoorError.self) { try core.destroy(definition, volumeName: VolumeName("v")!) }
        #expect(mounter.unmounted.isEmpty)
        #expect((try? Sys.stat(core.state.diskImagePath(VolumeName("v")!))) != nil, "the image stays")
    }

    @Test func sweepReleasesOnlyTheStagingMountsWithoutConsumers() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let (core, mounter, _, key) = try setUp(dir, consumers: [])
        #expect(core.sweepUnusedStaging(try mounter.mountTable()) == 1)
        #expect(mounter.unmounted == [core.state.stagingPath(key)])

        let other = try TempDirectory(); defer { other.remove() }
        let (kept, keptMounter, _, _) = try setUp(other, consumers: ["/pods/a/v"])
        #expect(kept.sweepUnusedStaging(try keptMounter.mountTable()) == 0)
        #expect(keptMounter.unmounted.isEmpty)
    }
}
