import Foundation
import MoorCore
import Testing
@testable import MoorMigrate
import MoorDockerOptions

@Suite struct DockerMigrationTests {
    static func outcomes() throws -> [String: DockerMigration.Outcome] {
        let volumes = try DockerVolumeInspect.parse(try Fixtures.text("docker-inspect.json"))
        return Dictionary(uniqueKeysWithValues: volumes.map { ($0.name, DockerMigration().translate($0)) })
    }

    static func translated(_ name: String) throws -> (MoorVolume, [MigrationNote]) {
        guard case .translated(let volume, let notes)? = try outcomes()[name] else {
            Issue.record("\(name) was not translated: \(String(describing: try outcomes()[name]))")
            throw CancellationError()
        }
        return (volume, notes)
    }

    @Test func localDriverNFSKeepsServerExportVersionAndMountOptions() throws {
        let (volume, _) = try Self.translated("shop_db_data")
        #expect(volume.options == ["type": "nfs", "server": "127.0.0.1", "share": "/export/db", "version": "4.1", "mountOptions": "soft,timeo=50"])
        #expect(volume.labels == ["com.docker.compose.project": "shop", "com.docker.compose.volume": "db_data"])
    }

    /// moord gives native NFS definitions a subdir of their own; the Docker
    /// command must mount the very export the old volume showed.
    @Test func nfsGoesToDockerInTheLocalDriverFormThatMoorTranslatesBackExactly() throws {
        for name in ["shop_db_data", "media"] {
            let (volume, _) = try Self.translated(name)
            let form = try #require(volume.dockerOptions)
            #expect(form["type"] == "nfs" && form["device"] != nil && form["o"] != nil)
            #expect(try LocalDriverOptions.translate(form) == volume.options)
            #expect(volume.options["subdir"] == nil)
        }
    }

    @Test func netshareNFSTakesVersionAndReadOnlyFromNfsoptsAndReportsCreate() throws {
        let (volume, notes) = try Self.translated("media")
        #expect(volume.options == ["type": "nfs", "server": "127.0.0.1", "share": "/exports/media", "version": "3", "readOnly": "true", "mountOptions": "nolock"])
        #expect(notes.contains { $0.kind == .dropped && $0.field == "Options.create" })
    }

    @Test func sshfsPluginBecomesAFUSEVolumeWithThePasswordAsASecret() throws {
        let (volume, notes) = try Self.translated("photos")
        #expect(volume.options == ["type": "fuse", "helper": "sshfs", "source": "alice@127.0.0.1:/srv/photos", "mountOptions": "port=2222,reconnect"])
        #expect(volume.secrets == ["sshPassword": "s3cret"])
        #expect(notes.contains { $0.kind == .attention && $0.message.contains("credentials") })
        let documents = volume.kubernetesDocuments(namespace: "media", defaultCapacity: "1Gi")
        #expect(documents.count == 2)
        #expect(documents[0].at(["type"])?.text == "moor/moor", "FlexVolume passes only Secrets typed with the driver name")
        #expect(documents[1].at(["spec", "flexVolume", "secretRef", "namespace"])?.text == "media")
        #expect(documents[1].at(["spec", "flexVolume", "options", "sshPassword"]) == nil, "the password stays out of the PV")
    }

    @Test func blockDeviceVolumeBecomesADisk() throws {
        let (volume, _) = try Self.translated("pgdata")
        #expect(volume.options == ["type": "disk", "device": "/dev/disk/by-id/nvme-data1", "fsType": "ext4", "mountOptions": "noatime"])
        #expect(volume.kubernetesDocuments(namespace: "default", defaultCapacity: "1Gi")[0].at(["spec", "accessModes"]) == .sequence([.string("ReadWriteOnce")]))
    }

    @Test func hostDirectoryVolumesBecomeBindVolumes() throws {
        #expect(try Self.translated("srv").0.options == ["type": "bind", "path": "/srv/data", "readOnly": "true"])
        #expect(try Self.translated("uploads").0.options == ["type": "bind", "path": "/data/uploads", "createPath": "true"])
        let (plain, notes) = try Self.translated("plain")
        #expect(plain.options == ["type": "bind", "path": "/var/lib/docker/volumes/plain/_data"])
        #expect(notes.contains { $0.kind == .attention && $0.message.contains("allowedHostPaths") })
    }

    @Test func whatCannotBeTranslatedIsListedWithItsReason() throws {
        let outcomes = try Self.outcomes()
        guard case .notTranslated(let tmpfs)? = outcomes["cache"], case .notTranslated(let ebs)? = outcomes["ebs1"] else {
            Issue.record("cache and ebs1 must not be translated")
            return
        }
        #expect(tmpfs.field == "Options.type" && tmpfs.message.contains("tmpfs"))
        #expect(ebs.message.contains("rexray/ebs") && ebs.message.contains("size"))
        let result = try DockerMigration().run(try DockerVolumeInspect.parse(try Fixtures.text("docker-inspect.json")), output: .commands)
        #expect(result.untranslated == 2)
        #expect(!result.output.contains(" cache\n") && !result.output.contains(" ebs1\n"))
    }

    /// The commands are pasted into a shell: values with spaces, quotes and
    /// `$` must arrive as one word each, unchanged.
    @Test func commandsAreShellWordsThatSurviveARealShell() throws {
        var volume = MoorVolume(name: "odd", options: ["type": "fuse", "helper": "sshfs", "source": "bob@127.0.0.1:/it's $HOME dir"])
        volume.labels = ["note": "a b"]
        let command = volume.dockerCommand()
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "set -- " + command.dropFirst("docker ".count) + "; printf '%s\\n' \"$@\""]
        let pipe = Pipe()
        shell.standardOutput = pipe
        try shell.run()
        let words = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        shell.waitUntilExit()
        #expect(words == ["volume", "create", "-d", "moor", "--label", "note=a b", "-o", "type=fuse", "-o", "helper=sshfs",
                          "-o", "source=bob@127.0.0.1:/it's $HOME dir", "odd"])
    }

    @Test func labelsKubernetesWouldRefuseBecomeAnnotations() {
        var volume = MoorVolume(name: "v", options: ["type": "nfs", "server": "127.0.0.1", "share": "/x"])
        volume.labels = ["app": "web", "com.docker.compose.config-hash": String(repeating: "a", count: 64)]
        let pv = volume.kubernetesDocuments(namespace: "default", defaultCapacity: "1Gi")[0]
        #expect(pv.at(["metadata", "labels", "app"])?.text == "web")
        #expect(pv.at(["metadata", "annotations", "com.docker.compose.config-hash"]) != nil)
    }

    @Test(arguments: [
        ("{not json", "input"),
        ("[{\"Driver\": \"local\"}]", "volume 1, field Name: missing"),
        ("[{\"Name\": \"a\", \"Driver\": \"local\"}, {\"Name\": \"b\", \"Driver\": \"local\", \"Options\": [1]}]", "volume 2 ('b'), field Options"),
        ("42", "expected a JSON array"),
        ("", "empty"),
    ])
    func badInputIsAnErrorThatSaysWhere(input: String, expected: String) {
        #expect {
            try DockerVolumeInspect.parse(input)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }
}
