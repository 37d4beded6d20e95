import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// `NFSBackend` without a server: staging keys, the consumer's subdir, and
/// `release`'s umount escalation through a `ScriptedRunner` (staging needs
/// libnfs to reach a real server and is covered by the integration tests).
@Suite struct NFSBackendTests {
    struct Node {
        let dir: TempDirectory
        let runner = ScriptedRunner()
        let mounter = FakeMounter.host()
        let backend: NFSBackend
        let staging: String

        init() throws {
            dir = try TempDirectory()
            staging = dir.path + "/staging/nfs"
            backend = NFSBackend(node: NodeContext(state: StateDirectory(root: dir.path), policy: { Policy() }, runner: runner,
                                                   mounter: mounter, logger: Logger(label: "test")))
            try mounter.mount(MountRequest(source: "nfs.example:/export", target: staging,
                                           kind: .fileSystem(type: "nfs4", options: MountOptionList())))
        }

        /// `umount` with these flags really unmounts; others exit 32 and change nothing.
        func umountSucceeds(with flags: [String]?) {
            runner.on("umount") { [mounter] command in
                guard Array(command.arguments.dropLast()) == flags else { return CommandResult(status: 32, stderr: "target is busy") }
                try? mounter.unmount(command.arguments.last!, mode: .normal)
                return CommandResult(status: 0)
            }
        }

        func release() throws { try backend.release(at: staging, record: nil, deadline: Deadline(.seconds(30))) }
    }

    static func definition(_ extra: [String: String] = [:]) throws -> VolumeDefinition {
        try VolumeDefinition.parse(["type": "nfs", "server": "nfs.example", "share": "/export"].merging(extra) { $1 })
    }

    @Test func theSameExportWithTheSameOptionsSharesAStagingKey() throws {
        let node = try Node(); defer { node.dir.remove() }
        let key = try node.backend.stagingKey(for: Self.definition())
        #expect(try node.backend.stagingKey(for: Self.definition(["subdir": "a"])) == key, "subdirs of one export share its mount")
        #expect(key.rawValue.hasPrefix("nfs-nfs.example"))
    }

    @Test(arguments: [["readOnly": "true"], ["version": "3"], ["share": "/other"], ["server": "other.example"]])
    func anotherExportOrOptionIsAnotherStagingKey(change: [String: String]) throws {
        let node = try Node(); defer { node.dir.remove() }
        #expect(try node.backend.stagingKey(for: Self.definition(change)) != node.backend.stagingKey(for: Self.definition()))
    }

    @Test func consumersBindTheSubdirWhenOneIsGiven() throws {
        let node = try Node(); defer { node.dir.remove() }
        #expect(node.backend.consumerSubdirectory(for: try Self.definition(["subdir": "team/a"])) == "team/a")
        #expect(node.backend.consumerSubdirectory(for: try Self.definition()) == nil)
    }

    @Test func aLiveServerIsUnmountedByThePlainUmount() throws {
        let node = try Node(); defer { node.dir.remove() }
        node.umountSucceeds(with: [])
        try node.release()
        #expect(node.runner.allArguments(of: "umount") == [[node.staging]])
    }

    @Test func aDeadServerEscalatesToForce() throws {
        let node = try Node(); defer { node.dir.remove() }
        node.umountSucceeds(with: ["-f"])
        try node.release()
        #expect(node.runner.allArguments(of: "umount") == [[node.staging], ["-f", node.staging]])
    }

    @Test func aMountThatResistsForceIsDetachedLazily() throws {
        let node = try Node(); defer { node.dir.remove() }
        node.umountSucceeds(with: ["-l"])
        try node.release()
        #expect(node.runner.allArguments(of: "umount") == [[node.staging], ["-f", node.staging], ["-l", node.staging]])
    }

    @Test func aMountLeftAfterEveryStepIsBusy() throws {
        let node = try Node(); defer { node.dir.remove() }
        node.umountSucceeds(with: nil)
        let error = #expect(throws: MoorError.self) { try node.release() }
        #expect(error?.kind == .busy)
        #expect(node.runner.programs.count == 3)
    }

    @Test func releaseOfANotMountedPathRunsNothing() throws {
        let node = try Node(); defer { node.dir.remove() }
        try node.mounter.unmount(node.staging, mode: .normal)
        try node.release()
        #expect(node.runner.commands.isEmpty)
    }
}
