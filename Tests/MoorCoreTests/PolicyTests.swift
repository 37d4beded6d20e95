import MoorTestSupport
import Testing
@testable import MoorCore

@Suite struct PolicyTests {
    static func parse(_ json: String) throws -> Policy { try Policy.parse(Array(json.utf8), path: "/etc/moor/policy.json") }

    static func parseError(_ json: String) -> MoorError? {
        do { _ = try parse(json); return nil } catch { return error as? MoorError }
    }

    @Test func defaultsAllowNoDevicesAndOnlySshfs() {
        let policy = Policy()
        #expect(policy.path == "/etc/moor/policy.json")
        #expect(policy.allowedDevices == [])
        #expect(policy.allowedFuseHelpers == ["sshfs"])
        #expect(policy.allowedHostPaths == [])
        #expect(!policy.allowsDevice("/dev/sda"))
    }

    @Test func emptyObjectGivesTheDefaults() throws {
        #expect(try Self.parse("{}") == Policy())
    }

    @Test func everyKeyIsRead() throws {
        let policy = try Self.parse(#"{"allowedDevices": ["/dev/loop*", "/dev/disk/by-id/nvme-*"], "allowedFuseHelpers": ["sshfs", "rclone"], "allowedHostPaths": ["/srv/*"]}"#)
        #expect(policy.allowedDevices == ["/dev/loop*", "/dev/disk/by-id/nvme-*"])
        #expect(policy.allowedFuseHelpers == ["sshfs", "rclone"])
        #expect(policy.allowedHostPaths == ["/srv/*"])
    }

    @Test func anEmptyHelperListAllowsNoHelpers() throws {
        #expect(try Self.parse(#"{"allowedFuseHelpers": []}"#).allowedFuseHelpers == [])
    }

    @Test(arguments: ["{", "", "[]", "null", #"{"allowedDevices": "/dev/sdb"}"#, #"{"allowedDevices": [1]}"#,
                      #"{"allowedDevices": [null]}"#, "allowedDevices: [/dev/sdb]"])
    func malformedPolicyIsAnInvalidOptionError(json: String) throws {
        let error = try #require(Self.parseError(json))
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("/etc/moor/policy.json"))
        #expect(error.message.contains("not valid"))
        #expect(error.message.contains("allowedDevices, allowedFuseHelpers, allowedHostPaths"))
    }

    @Test func unknownKeyIsNamed() throws {
        let error = try #require(Self.parseError(#"{"allowedDevice": ["/dev/sdb"]}"#))
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("unknown key 'allowedDevice'"))
        #expect(error.message.contains("allowed: allowedDevices, allowedFuseHelpers, allowedHostPaths"))
    }

    @Test(arguments: [
        ("/dev/loop*", "/dev/loop3", true), ("/dev/loop*", "/dev/loop", true), ("/dev/loop*", "/dev/sda", false),
        ("*", "/dev/sda", false), ("/dev/*", "/dev/sda", true), ("/dev/*", "/dev/disk/by-id/x", false),
        ("/dev/disk/by-id/nvme-*", "/dev/disk/by-id/nvme-Samsung_1", true),
        ("/dev/disk/by-id/nvme-*", "/dev/disk/by-id/ata-X", false),
        ("/dev/sd[b-d]", "/dev/sdc", true), ("/dev/sd[b-d]", "/dev/sda", false), ("/dev/sd?", "/dev/sdb", true),
        ("/dev/sdb", "/dev/sdb1", false),
    ])
    func allowedDevicesAreGlobsThatDoNotCrossSlashes(pattern: String, device: String, allowed: Bool) {
        var policy = Policy()
        policy.allowedDevices = [pattern]
        #expect(policy.allowsDevice(device) == allowed)
    }

    @Test(arguments: [
        ("/srv/*", "/srv/data", true), ("/srv/*", "/srv/data/deep/er", true), ("/srv/*", "/srv", false),
        ("/srv/*", "/srvx/data", false), ("/tmp/allowed", "/tmp/allowed", true), ("/tmp/allowed", "/tmp/allowed/x/y", true),
        ("/tmp/allowed", "/tmp/allowedx", false), ("/tmp/allowed", "/tmp", false), ("/tmp/allowed/", "/tmp/allowed/x", true),
        ("/home/*/data", "/home/ann/data/db", true), ("/home/*/data", "/home/ann/other", false),
        ("/mnt/disks/ssd[0-9]", "/mnt/disks/ssd1/pv", true), ("*", "/etc", false), ("/", "/etc/shadow", true),
    ])
    func allowedHostPathsAllowTheMatchedTreesOnly(pattern: String, path: String, allowed: Bool) {
        var policy = Policy()
        policy.allowedHostPaths = [pattern]
        #expect(policy.allowsHostPath(path) == allowed)
    }

    @Test func noHostPathIsAllowedByDefault() {
        #expect(!Policy().allowsHostPath("/srv/data"))
        #expect(!Policy().allowsHostPath("/"))
    }

    @Test func anyMatchingPatternAllows() {
        var policy = Policy()
        policy.allowedDevices = ["/dev/sdb", "/dev/loop*"]
        #expect(policy.allowsDevice("/dev/loop9"))
        #expect(policy.allowsDevice("/dev/sdb"))
        #expect(!policy.allowsDevice("/dev/sdc"))
    }

    @Test func missingFileGivesTheDefaults() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/no-such-policy.json"
        let policy = try Policy.load(path: path)
        #expect(policy == Policy(path: path))
        #expect(policy.allowedDevices == [])
        #expect(policy.allowedFuseHelpers == ["sshfs"])
        #expect(policy.allowedHostPaths == [])
        #expect(policy.path == path)
    }

    @Test func existingFileIsParsed() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/policy.json"
        try StateDirectory(root: dir.path).writeAtomically(path, Array(#"{"allowedDevices": ["/dev/vd*"]}"#.utf8))
        let policy = try Policy.load(path: path)
        #expect(policy.allowedDevices == ["/dev/vd*"])
        #expect(policy.allowedFuseHelpers == ["sshfs"])
        #expect(policy.path == path)
    }

    @Test func malformedFileIsAnErrorNeverTheDefaults() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/policy.json"
        try StateDirectory(root: dir.path).writeAtomically(path, Array("{oops".utf8))
        let error = #expect(throws: MoorError.self) { try Policy.load(path: path) }
        #expect(error?.kind == .invalidOption)
        #expect(error?.message.contains(path) == true)
    }
}

/// The keys added for issue 11: credential files, FUSE helper options and
/// the timeout cap, whose values are not all arrays of strings.
@Suite struct PolicySecurityKeysTests {
    static func parse(_ json: String) throws -> Policy { try Policy.parse(Array(json.utf8), path: "/etc/moor/policy.json") }

    static func parseError(_ json: String) -> MoorError? {
        do { _ = try parse(json); return nil } catch { return error as? MoorError }
    }

    @Test func defaultsAllowNoCredentialFileNoHelperOptionsAndCapAt120Seconds() {
        let policy = Policy()
        #expect(policy.allowedCredentialFiles == [])
        #expect(policy.fuseHelperOptions == [:])
        #expect(policy.maxTimeout == 120)
        #expect(!policy.allowsCredentialFile("/root/.ssh/id_rsa"))
        #expect(policy.cappedTimeout(.seconds(3600)) == .seconds(120))
        #expect(policy.cappedTimeout(.seconds(30)) == .seconds(30))
    }

    @Test func theNewKeysAreRead() throws {
        let policy = try Self.parse(#"""
            {"allowedCredentialFiles": ["/etc/moor/keys/*"], "fuseHelperOptions": {"rclone": ["vfs-cache-mode=*", "allow-non-empty"]},
             "maxTimeout": 30, "allowedFuseHelpers": ["sshfs", "rclone"]}
            """#)
        #expect(policy.allowedCredentialFiles == ["/etc/moor/keys/*"])
        #expect(policy.fuseOptionPatterns(for: "rclone") == ["vfs-cache-mode=*", "allow-non-empty"])
        #expect(policy.fuseOptionPatterns(for: "s3fs") == [])
        #expect(policy.maxTimeout == 30)
        #expect(policy.cappedTimeout(.seconds(60)) == .seconds(30))
        #expect(policy.allowsCredentialFile("/etc/moor/keys/id_ed25519"))
        #expect(!policy.allowsCredentialFile("/etc/moor/keys/sub/id"), "* does not cross /")
        #expect(!policy.allowsCredentialFile("/root/.ssh/id_rsa"))
    }

    @Test(arguments: [
        (#"{"maxTimeout": "60"}"#, "maxTimeout"), (#"{"maxTimeout": 0}"#, "maxTimeout"), (#"{"maxTimeout": 3601}"#, "maxTimeout"),
        (#"{"maxTimeout": 1.5}"#, "not valid"), (#"{"maxTimeout": [60]}"#, "maxTimeout"),
        (#"{"fuseHelperOptions": ["vfs-cache-mode=*"]}"#, "fuseHelperOptions"), (#"{"fuseHelperOptions": {"rclone": "x"}}"#, "not valid"),
        (#"{"fuseHelperOptions": 3}"#, "fuseHelperOptions"), (#"{"allowedCredentialFiles": 3}"#, "allowedCredentialFiles"),
        (#"{"allowedDevices": {"a": ["b"]}}"#, "allowedDevices"),
    ])
    func aValueOfTheWrongShapeIsAnErrorNeverAllowAll(json: String, named: String) throws {
        let error = try #require(Self.parseError(json))
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("not valid"))
        #expect(error.message.contains(named))
        #expect(error.message.contains("allowedCredentialFiles, fuseHelperOptions, maxTimeout"))
    }

    @Test func anUnknownKeyIsStillNamed() throws {
        let error = try #require(Self.parseError(#"{"maxTimeouts": 5}"#))
        #expect(error.message.contains("unknown key 'maxTimeouts'"))
    }
}
