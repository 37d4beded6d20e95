import Foundation
import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// Docker volumes' credentials live in a 0600 file of their own, never in
/// the record that Get, List and the log are built from.
@Suite struct VolumeCredentialsTests {
    static let minimal: [String: [String: String]] = [
        "disk": [:],
        "nfs": ["type": "nfs", "server": "nas.example.com", "share": "/export/data"],
        "iscsi": ["type": "iscsi", "portal": "10.0.0.5:3260", "iqn": "iqn.2026-11.io.example:store1"],
        "fuse": ["type": "fuse", "helper": "sshfs", "source": "user@host:/data"],
        "bind": ["type": "bind", "path": "/srv/data"],
    ]

    /// A key is a credential exactly when the option reader takes it from
    /// the secret map: given only there, it is not refused as unknown.
    @Test func keysAreExactlyTheOptionsReadAsSecrets() throws {
        #expect(Set(Self.minimal.keys) == Set(VolumeType.allCases.map(\.rawValue)), "a new volume type needs a minimal definition here")
        var found: Set<String> = []
        for (type, base) in Self.minimal {
            let keys = switch type {
            case "nfs": NFSSpec.keys
            case "iscsi": ISCSISpec.keys
            case "fuse": FUSESpec.keys
            case "bind": BindSpec.keys
            default: DiskSpec.keys
            }
            for key in keys where key != "type" {
                var options = base
                let value = options.removeValue(forKey: key) ?? "x"
                if parseError(options, secrets: [key: Secret(value)], name: "v")?.key != key { found.insert(key) }
            }
        }
        #expect(found == VolumeCredentials.keys)
    }

    @Test func splitKeepsPlainOptionsAndDropsEmptyCredentials() {
        let (plain, secrets) = VolumeCredentials.split(["type": "fuse", "sshPassword": "pw", "sshKey": "", "source": "a@b:/c"])
        #expect(plain == ["type": "fuse", "source": "a@b:/c"])
        #expect(secrets == ["sshPassword": "pw"])
    }

    func service(_ directory: TempDirectory) -> VolumeService {
        let runner = CommandRunner()
        let core = Core(state: StateDirectory(root: directory.path + "/state"), policy: Policy(), mounter: LinuxMounter(runner: runner),
                        runner: runner, logger: Logger(label: "test"))
        return VolumeService(core: core, owner: "docker", logger: Logger(label: "test"))
    }

    static let options = ["type": "fuse", "helper": "sshfs", "source": "u@127.0.0.1:/srv", "sshPassword": "hunter2-secret"]

    @Test func createKeepsCredentialsOutOfTheRecord() throws {
        let directory = try TempDirectory(); defer { directory.remove() }
        let volumes = service(directory)
        try volumes.load()
        try volumes.create("s", options: Self.options)
        let name = try #require(VolumeName("s"))
        let record = try String(contentsOfFile: volumes.recordPath(name), encoding: .utf8)
        #expect(!record.contains("hunter2"))
        #expect(volumes.get("s")?.record.options["sshPassword"] == nil)
        #expect(try volumes.readCredentials(name) == ["sshPassword": "hunter2-secret"])
        #expect(try Sys.stat(volumes.credentialsPath(name)).st_mode & 0o777 == 0o600)
        #expect(try Sys.stat(volumes.credentialsRoot).st_mode & 0o777 == 0o700)
        // The definition used to mount still has the password, and an
        // identical Create is still identical.
        let definition = try volumes.definition(of: try #require(volumes.get("s")).record)
        var expected = try VolumeDefinition.parse(Self.options, name: "s")
        expected.owner = "docker"
        #expect(definition == expected)
        try volumes.create("s", options: Self.options)
        #expect(throws: MoorError.self) { try volumes.create("s", options: Self.options.merging(["sshPassword": "other"]) { $1 }) }
        try volumes.remove("s")
        #expect(!FileManager.default.fileExists(atPath: volumes.credentialsPath(name)))
    }

    @Test func failedCreateLeavesNoCredentials() throws {
        let directory = try TempDirectory(); defer { directory.remove() }
        let volumes = service(directory)
        try volumes.load()
        #expect(throws: (any Error).self) { try volumes.create("f", options: Self.options.merging(["source": "-oProxyCommand=x"]) { $1 }) }
        // The record cannot be written: the credentials written before it go.
        try FileManager.default.createDirectory(atPath: volumes.recordPath(VolumeName("g")!), withIntermediateDirectories: true)
        #expect(throws: (any Error).self) { try volumes.create("g", options: Self.options) }
        #expect(((try? Sys.listDirectory(volumes.credentialsRoot)) ?? []).isEmpty)
    }

    @Test func loadMovesCredentialsOutOfAnOldRecordAndSweepsOrphans() throws {
        let directory = try TempDirectory(); defer { directory.remove() }
        let volumes = service(directory)
        try volumes.load()
        let name = try #require(VolumeName("old"))
        let old = VolumeRecord(name: "old", options: Self.options, createdAt: "2026-01-01T00:00:00Z")
        try volumes.core.state.writeAtomically(volumes.recordPath(name), old.encoded())
        try Sys.mkdirs(volumes.credentialsRoot, mode: 0o700)
        try volumes.core.state.writeAtomically(volumes.credentialsRoot + "/gone.json", Array(#"{"version":1,"secrets":{"sshKey":"k"}}"#.utf8))
        try volumes.core.state.writeAtomically(volumes.credentialsRoot + "/half.json.tmp.7", Array("k".utf8))
        // A record moord cannot read is kept aside, and so are its credentials.
        try volumes.core.state.writeAtomically(volumes.recordsRoot + "/odd.json", Array("not json".utf8))
        try volumes.core.state.writeAtomically(volumes.credentialsRoot + "/odd.json", Array(#"{"version":1,"secrets":{"sshKey":"k"}}"#.utf8))

        let again = service(directory)
        try again.load()
        #expect(try !String(contentsOfFile: again.recordPath(name), encoding: .utf8).contains("hunter2"))
        #expect(again.get("old")?.record.options == Self.options.filter { $0.key != "sshPassword" })
        #expect(try again.readCredentials(name) == ["sshPassword": "hunter2-secret"])
        #expect(try Sys.listDirectory(again.credentialsRoot).sorted() == ["odd.json", "old.json"], "orphans and temp files are swept")
    }
}
