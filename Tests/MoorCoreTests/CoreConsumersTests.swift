import Foundation
import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// Which mounts count as consumers of a staging mount, from mountinfo
/// literals: the count decides when a staging mount is released.
@Suite struct CoreConsumersTests {
    static func line(_ id: Int, _ root: String, _ mountPoint: String, device: String = "254:0", _ optional: String = "") -> String {
        "\(id) 1 \(device) \(root) \(mountPoint) rw,relatime \(optional)\(optional.isEmpty ? "" : " ")- ext4 /dev/vda rw"
    }

    func core(_ dir: TempDirectory) -> Core {
        Core(state: StateDirectory(root: dir.path), policy: Policy(), mounter: FakeMounter(),
             runner: ScriptedRunner([:]), logger: Logger(label: "test"))
    }

    func record(_ core: Core, _ key: StagingKey, type: VolumeType) throws {
        try core.state.prepare()
        try core.state.writeAtomically(core.state.recordPath(key), StagingRecord(type: type, source: "test").encoded())
    }

    @Test func aHostDirectoryIsConsumedOnlyByTheStagingMountsPeers() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let core = core(dir)
        let key = StagingKey(prefix: "bind-ssd1", source: "/mnt/disks/ssd1", nodeKey: .test)
        try record(core, key, type: .bind)
        let table = MountTable(parsing: [
            Self.line(20, "/", "/"),
            // The host's own mount of the directory: same file system, same root.
            Self.line(21, "/", "/mnt/disks/ssd1", device: "8:16", "shared:1"),
            Self.line(30, "/", core.state.stagingPath(key), device: "8:16", "shared:7"),
            Self.line(31, "/", "/var/lib/kubelet/pods/a/volumes/moor~moor/v", device: "8:16", "shared:7"),
            Self.line(32, "/", "/var/lib/kubelet/pods/b/volumes/moor~moor/v", device: "8:16", "shared:7"),
        ].joined(separator: "\n"))
        #expect(core.consumers(of: key, in: table).map(\.id) == [31, 32])
        let hostOnly = MountTable(entries: table.entries.filter { $0.id <= 30 })
        #expect(core.consumers(of: key, in: hostOnly).isEmpty, "the host's own mount never keeps the staging mount")
        #expect(core.stagingKey(of: table.entries[3], in: table) == key)
        #expect(core.stagingKey(of: table.entries[1], in: table) == nil, "unmounting the host's mount is not moor's business")
    }

    @Test func otherDirectoriesOfTheSameFileSystemAreNotConsumers() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let core = core(dir)
        let data = StagingKey(prefix: "bind-data", source: "/srv/data", nodeKey: .test)
        let logs = StagingKey(prefix: "bind-logs", source: "/srv/logs", nodeKey: .test)
        try record(core, data, type: .bind)
        try record(core, logs, type: .bind)
        let table = MountTable(parsing: [
            Self.line(20, "/", "/"),
            Self.line(21, "/run/netns", "/run/netns", "shared:2"),
            Self.line(30, "/srv/data", core.state.stagingPath(data), "shared:8"),
            Self.line(31, "/srv/logs", core.state.stagingPath(logs), "shared:9"),
            Self.line(32, "/srv/logs", "/pods/a/v", "shared:9"),
        ].joined(separator: "\n"))
        #expect(core.consumers(of: data, in: table).isEmpty)
        #expect(core.consumers(of: logs, in: table).map(\.id) == [32])
        #expect(core.stagingKey(of: table.entries[4], in: table) == logs)
    }

    @Test func aDiskStillCountsEveryBindOfItsFileSystem() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let core = core(dir)
        let key = StagingKey(prefix: "disk-v", source: "/var/lib/moor/disks/v.img", nodeKey: .test)
        try record(core, key, type: .disk)
        let table = MountTable(parsing: [
            Self.line(30, "/", core.state.stagingPath(key), device: "7:0"),
            Self.line(31, "/", "/pods/a/v", device: "7:0"),
            Self.line(32, "/sub", "/pods/b/v", device: "7:0", "shared:3"),
        ].joined(separator: "\n"))
        #expect(core.consumers(of: key, in: table).map(\.id) == [31, 32])
    }
}

/// Mount dirs are resolved the same way for publish and unpublish.
@Suite struct CoreMountDirTests {
    func core(_ dir: TempDirectory) -> Core {
        Core(state: StateDirectory(root: dir.path + "/state"), policy: Policy(), mounter: FakeMounter(),
             runner: ScriptedRunner([:]), logger: Logger(label: "test"))
    }

    @Test func aSymlinkedParentOrLeafIsRefusedEitherWay() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/pods/real/vol", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/pods/alias", withDestinationPath: "real")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/pods/real/leaf", withDestinationPath: "vol")
        let core = core(dir)
        for target in [dir.path + "/pods/alias/vol", dir.path + "/pods/real/leaf"] {
            for mustExist in [true, false] {
                #expect {
                    try core.checkTarget(target, in: MountTable(entries: []), mustExist: mustExist)
                } throws: { error in
                    (error as? MoorError)?.kind == .forbidden && (error as? MoorError)?.message.contains("symbolic link") == true
                }
            }
        }
        #expect(try core.checkTarget(dir.path + "/pods/real/vol", in: MountTable(entries: []), mustExist: true))
    }

    @Test func aMissingDirIsNotFoundForPublishAndNothingToDoForUnpublish() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let core = core(dir)
        for target in [dir.path + "/gone", dir.path + "/gone/deeper"] {
            #expect(try core.checkTarget(target, in: MountTable(entries: []), mustExist: false) == false)
            #expect { try core.checkTarget(target, in: MountTable(entries: []), mustExist: true) } throws: { ($0 as? MoorError)?.kind == .notFound }
        }
    }

    @Test(arguments: ["relative/dir", "/a/../b", "/", "/a//b"])
    func anUncleanDirIsRefused(target: String) throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        #expect { try core(dir).checkTarget(target, in: MountTable(entries: []), mustExist: false) } throws: { ($0 as? MoorError)?.kind == .invalidOption }
    }

    @Test func theStagingAreaIsNeverAConsumer() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let core = core(dir)
        #expect { try core.checkTarget(core.state.stagingRoot + "/x", in: MountTable(entries: []), mustExist: false) } throws: { ($0 as? MoorError)?.kind == .invalidOption }
    }
}
