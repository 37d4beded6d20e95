import Testing
@testable import MoorCore

@Suite struct ISCSISpecTests {
    static let base = ["type": "iscsi", "portal": "10.0.0.5:3260", "iqn": "iqn.2026-11.io.example:store1"]

    static func with(_ extra: [String: String]) -> [String: String] { base.merging(extra) { $1 } }

    @Test func minimalTargetIsParsed() throws {
        let iscsi = try #require(try VolumeDefinition.parse(Self.base).iscsi)
        #expect(iscsi.portals == ["10.0.0.5:3260"])
        #expect(iscsi.iqn == "iqn.2026-11.io.example:store1")
        #expect(iscsi.lun == 0)
        #expect(iscsi.chapUser == nil)
        #expect(iscsi.chapSecret == nil)
        #expect(iscsi.fsType == nil)
        #expect(iscsi.mkfsOptions == [])
    }

    @Test(arguments: ["10.0.0.5", "10.0.0.5:0", "10.0.0.5:65536", "10.0.0.5:abc", ":3260", "-evil:3260", "a b:3260", "10.0.0.5:"])
    func badPortalNamesThePortalKey(portal: String) throws {
        let error = try #require(parseError(Self.with(["portal": portal])))
        #expect(error.key == "portal")
        #expect(error.problem.isMalformed)
    }

    @Test(arguments: ["[fe80::1]:3260", "storage.example.com:3260", "10.0.0.5:65535"])
    func validPortalsAreAccepted(portal: String) throws {
        #expect(try VolumeDefinition.parse(Self.with(["portal": portal])).iscsi?.portals == [portal])
    }

    @Test func extraPortalsAreAddedWithoutRepeatingTheFirst() throws {
        let iscsi = try #require(try VolumeDefinition.parse(Self.with(["portals": "10.0.0.5:3260,10.0.0.6:3260"])).iscsi)
        #expect(iscsi.portals == ["10.0.0.5:3260", "10.0.0.6:3260"])
    }

    @Test func badExtraPortalNamesThePortalsKey() throws {
        let error = try #require(parseError(Self.with(["portals": "10.0.0.6:3260,nope"])))
        #expect(error.key == "portals")
    }

    @Test func missingPortalOrIqnIsReported() throws {
        #expect(try #require(parseError(["type": "iscsi", "iqn": "iqn.2026-11.io.example:x"])).key == "portal")
        let error = try #require(parseError(["type": "iscsi", "portal": "10.0.0.5:3260"]))
        #expect(error.key == "iqn")
        #expect(error.problem == .missing)
    }

    @Test(arguments: ["foo", "iqn.2026 x", "iqn.a/b", "IQN.2026-11.io.example", "iqn.x;y"])
    func badIqnIsRefused(iqn: String) throws {
        #expect(try #require(parseError(Self.with(["iqn": iqn]))).key == "iqn")
    }

    @Test(arguments: ["eui.02004567A425678D", "naa.52004567BA64678D", "iqn.2001-04.com.example:storage.disk2"])
    func iqnEuiAndNaaNamesAreAccepted(iqn: String) throws {
        #expect(try VolumeDefinition.parse(Self.with(["iqn": iqn])).iscsi?.iqn == iqn)
    }

    @Test(arguments: [("0", UInt32(0)), ("7", UInt32(7)), ("16383", UInt32(16383))])
    func lunIsParsed(text: String, lun: UInt32) throws {
        #expect(try VolumeDefinition.parse(Self.with(["lun": text])).iscsi?.lun == lun)
    }

    @Test(arguments: ["16384", "-1", "x", "1.0"])
    func lunOutOfRangeIsRefused(text: String) throws {
        #expect(try #require(parseError(Self.with(["lun": text]))).key == "lun")
    }

    @Test func chapUserWithoutChapSecretNamesTheSecret() throws {
        let error = try #require(parseError(Self.with(["chapUser": "alice"])))
        #expect(error.key == "chapSecret")
        #expect(error.problem.isConflict)
    }

    @Test func chapSecretWithoutChapUserNamesTheUser() throws {
        let error = try #require(parseError(Self.with(["chapSecret": "pw"])))
        #expect(error.key == "chapUser")
        #expect(error.problem.isConflict)
    }

    @Test func secretsMapSatisfiesChapSecret() throws {
        let definition = try VolumeDefinition.parse(Self.with(["chapUser": "alice"]), secrets: ["chapSecret": Secret("pw-1")])
        let iscsi = try #require(definition.iscsi)
        #expect(iscsi.chapUser == Secret("alice"))
        #expect(iscsi.chapSecret == Secret("pw-1"))
    }

    @Test func plainOptionWinsOverTheSecretsMap() throws {
        let definition = try VolumeDefinition.parse(Self.with(["chapUser": "alice", "chapSecret": "plain"]),
                                                    secrets: ["chapSecret": Secret("mapped")])
        #expect(definition.iscsi?.chapSecret == Secret("plain"))
    }

    @Test func discoveryCredentialsComeFromTheSecretsMap() throws {
        let definition = try VolumeDefinition.parse(Self.base, secrets: ["discoveryChapUser": Secret("d"), "discoveryChapSecret": Secret("s")])
        #expect(definition.iscsi?.discoveryChapUser == Secret("d"))
        #expect(definition.iscsi?.discoveryChapSecret == Secret("s"))
    }

    @Test func discoveryChapNeedsBothHalves() throws {
        let userOnly = try #require(parseError(Self.base, secrets: ["discoveryChapUser": Secret("d")]))
        #expect(userOnly.key == "discoveryChapSecret")
        #expect(userOnly.problem.isConflict)
        let secretOnly = try #require(parseError(Self.with(["discoveryChapSecret": "s"])))
        #expect(secretOnly.key == "discoveryChapUser")
    }

    /// Only credential keys may come from the secrets map: a secret named
    /// `iqn` must not pass silently as if it were read.
    @Test func secretForANonCredentialKeyIsUnknown() throws {
        let error = try #require(parseError(Self.base, secrets: ["iqn": Secret("iqn.2026-11.io.example:other")]))
        #expect(error.key == "iqn")
        #expect(error.problem == .unknown(allowed: ISCSISpec.keys))
    }

    @Test func fsTypeAndMkfsOptionsAreCheckedAsForDisks() throws {
        #expect(try #require(parseError(Self.with(["fsType": "btrfs"]))).key == "fsType")
        #expect(try #require(parseError(Self.with(["mkfsOptions": "/dev/sdb"]))).key == "mkfsOptions")
        let iscsi = try #require(try VolumeDefinition.parse(Self.with(["fsType": "xfs", "mkfsOptions": "-b 4096"])).iscsi)
        #expect(iscsi.fsType == "xfs")
        #expect(iscsi.mkfsOptions == ["-b", "4096"])
    }
}
