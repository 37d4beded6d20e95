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

/// `source` reaches ssh's argv (sshfs) or the shell command mount.fuse
/// builds (other helpers): a grammar, not a list of bad characters.
@Suite struct FUSESourceTests {
    static func sshfs(_ source: String) -> [String: String] { ["type": "fuse", "helper": "sshfs", "source": source] }
    static func rclone(_ source: String) -> [String: String] { ["type": "fuse", "helper": "rclone", "source": source] }

    @Test(arguments: ["alice@files.example:/data", "files.example:", "host:relative/dir", "a.b-c_d@10.0.0.5:/srv/x y",
                      "bob@[fd00::5]:/export", "[::1]:/x", "host:/path/with@sign:and-colon"])
    func sshfsSourcesOfTheFormUserAtHostColonPathAreAccepted(source: String) throws {
        #expect(try VolumeDefinition.parse(Self.sshfs(source)).fuse?.source == source)
    }

    @Test(arguments: ["host", "/local/dir", "-oProxyCommand=id:", "-alice@host:/x", "alice@-host:/x", "al ice@host:/x",
                      "al;ice@host:/x", "host:-oProxyCommand=id", "[fd00::5:/x", "ho$t:/x", "@host:/x",
                      "alice@host:/a\u{1b}b", "h\u{0}st:/x", "$(id)@host:/x"])
    func sshfsSourcesOutsideTheGrammarAreRefused(source: String) throws {
        let error = try #require(parseError(Self.sshfs(source)))
        #expect(error.key == "source")
        #expect(error.userMessage.contains("[user@]host:[path]"))
    }

    @Test(arguments: ["remote:bucket/dir", "server:/volume", "bucket", "s3://bucket@region", "user=a,b+c%20"])
    func otherHelpersTakeAConservativeToken(source: String) throws {
        #expect(try VolumeDefinition.parse(Self.rclone(source)).fuse?.source == source)
    }

    @Test(arguments: ["remote:$(id)", "a;id", "a b", "`id`", "a|b", "a&b", "a'b", "-o", "a>b", "a\nb", "remote:*"])
    func shellCharactersInAnOtherHelpersSourceAreRefused(source: String) throws {
        let error = try #require(parseError(Self.rclone(source)))
        #expect(error.key == "source")
        #expect(error.userMessage.contains("/bin/sh"))
    }

    static func helperOptions(_ text: String, _ patterns: [String]) -> OptionError? {
        guard let list = try? MountOptionList.parse(text).get() else { return nil }
        do { try FUSESpec.checkHelperOptions(list, helper: "rclone", patterns: patterns); return nil } catch { return error }
    }

    @Test func anOtherHelpersOptionsMustMatchAPolicyPattern() {
        let patterns = ["allow-non-empty", "vfs-cache-mode=*", "dir-cache-time=[0-9]*"]
        #expect(Self.helperOptions("allow-non-empty,vfs-cache-mode=full,dir-cache-time=10", patterns) == nil)
        #expect(Self.helperOptions("allow-non-empty=1", patterns)?.userMessage.contains("found 'allow-non-empty' with a value") == true)
        #expect(Self.helperOptions("vfs-cache-mode", patterns)?.userMessage.contains("found 'vfs-cache-mode' with a value") == true)
        let unlisted = Self.helperOptions("config=/root/.config/rclone.conf", patterns)
        #expect(unlisted?.key == "mountOptions")
        #expect(unlisted?.userMessage.contains("found 'config'") == true)
        #expect(unlisted?.userMessage.contains("fuseHelperOptions") == true)
        #expect(unlisted?.userMessage.contains("allowed: allow-non-empty, vfs-cache-mode=*") == true)
        #expect(unlisted?.userMessage.contains("rclone.conf") == false)
    }

    @Test func aGlobNeverLetsAPathOrAShellCharacterThrough() {
        #expect(Self.helperOptions("vfs-cache-mode=/etc/x", ["vfs-cache-mode=*"]) != nil, "* does not cross /")
        #expect(Self.helperOptions("cmd=$(id)", ["cmd=*"]) != nil)
        #expect(Self.helperOptions("cmd=a;b", ["cmd=*"]) != nil)
    }

    @Test func withoutPatternsAnOtherHelperTakesNoOptions() {
        #expect(Self.helperOptions("allow_other", [])?.userMessage.contains("allowed: none") == true)
        #expect(Self.helperOptions("", []) == nil)
    }
}
