import Testing
@testable import MoorCore

@Suite struct FUSESpecTests {
    static let base = ["type": "fuse", "helper": "sshfs", "source": "user@host:/data"]

    static func with(_ extra: [String: String]) -> [String: String] { base.merging(extra) { $1 } }

    @Test func sshfsShareIsParsed() throws {
        let fuse = try #require(try VolumeDefinition.parse(Self.with(["sshKeyFile": "/etc/moor/keys/id_ed25519"])).fuse)
        #expect(fuse.helper == "sshfs")
        #expect(fuse.source == "user@host:/data")
        #expect(fuse.sshKeyFile == "/etc/moor/keys/id_ed25519")
        #expect(fuse.sshKey == nil)
        #expect(fuse.sshPassword == nil)
    }

    @Test(arguments: ["-o", "-x", ".hidden", "ss/hfs", "ssh fs", "../sshfs", "sshfs;id"])
    func badHelperIsRefused(helper: String) throws {
        let error = try #require(parseError(Self.with(["helper": helper])))
        #expect(error.key == "helper")
        #expect(error.problem.isMalformed)
    }

    @Test(arguments: ["rclone", "s3fs", "glusterfs", "my_helper-2.0"])
    func plainHelperNamesAreAccepted(helper: String) throws {
        #expect(try VolumeDefinition.parse(Self.with(["helper": helper])).fuse?.helper == helper)
    }

    @Test(arguments: ["-oProxyCommand=touch /tmp/pwned", "-", "user@host:/a\nb", "user@host:/a\u{7f}"])
    func sourceStartingWithDashOrHoldingControlCharactersIsRefused(source: String) throws {
        let error = try #require(parseError(Self.with(["source": source])))
        #expect(error.key == "source")
    }

    @Test func helperAndSourceAreRequired() throws {
        #expect(try #require(parseError(["type": "fuse", "source": "a:/b"])).key == "helper")
        let error = try #require(parseError(["type": "fuse", "helper": "sshfs"]))
        #expect(error.key == "source")
        #expect(error.problem == .missing)
    }

    @Test func keyFilesMustBeCleanAbsolutePaths() throws {
        #expect(try #require(parseError(Self.with(["sshKeyFile": "keys/id"]))).key == "sshKeyFile")
        #expect(try #require(parseError(Self.with(["sshPasswordFile": "/etc/../pw"]))).key == "sshPasswordFile")
    }

    @Test func credentialsFromTheSecretsMapAreSecrets() throws {
        let definition = try VolumeDefinition.parse(Self.base, secrets: ["sshKey": Secret("KEY"), "sshPassword": Secret("PW")])
        #expect(definition.fuse?.sshKey == Secret("KEY"))
        #expect(definition.fuse?.sshPassword == Secret("PW"))
    }

    @Test func fuseVolumesHaveNoModeOption() throws {
        let error = try #require(parseError(Self.with(["mode": "0755"])))
        #expect(error.key == "mode")
        #expect(error.problem == .unknown(allowed: FUSESpec.keys))
    }
}
