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
        // mkfs.xfs takes its block size as `-b size=N`.
        let iscsi = try #require(try VolumeDefinition.parse(Self.with(["fsType": "xfs", "mkfsOptions": "-b size=4096"])).iscsi)
        #expect(iscsi.fsType == "xfs")
        #expect(iscsi.mkfsOptions == ["-b", "size=4096"])
    }

    @Test(arguments: [
        "iqn.2026-11.io.example", "iqn.1994-05.com.redhat:a1b2c3", "iqn.2001-04.com.example:storage:diskarrays-sn-a8675309",
        "eui.02004567a425678d", "naa.52004567BA64678D", "naa.6001405f4e3c2a1b9d8e7f6a5b4c3d2e",
    ])
    func rfc3720NamesAreAcceptedAsIqnAndInitiatorName(name: String) throws {
        let iscsi = try #require(try VolumeDefinition.parse(Self.with(["iqn": name, "initiatorName": name])).iscsi)
        #expect(iscsi.iqn == name)
        #expect(iscsi.initiatorName == name)
    }

    /// A newline in initiatorName was written into iscsiadm's iface record
    /// as a line of its own; the rest break the RFC 3720 grammar.
    @Test(arguments: [
        "iqn.2026-11.io.example:node1\niface.transport_name = tcp", "iqn.2026-11.io.example:Node1", "iqn.26-11.io.example",
        "iqn.2026-13.io.example", "iqn.2026-1.io.example", "iqn.2026-11", "iqn.2026-11.", "iqn.2026-11.-example",
        "iqn.2026-11.io.example:a/b", "iqn.2026-11.io.example:a b", "eui.02004567a425678", "eui.02004567a425678g",
        "naa.52004567BA64678D00", "iqn.2026-11.io.example:" + String(repeating: "x", count: 210),
    ])
    func namesOutsideTheGrammarAreRefused(name: String) throws {
        let iqn = try #require(parseError(Self.with(["iqn": name])))
        #expect(iqn.key == "iqn")
        #expect(iqn.userMessage.contains("iqn.YYYY-MM."))
        let initiator = try #require(parseError(Self.with(["initiatorName": name])))
        #expect(initiator.key == "initiatorName")
        #expect(initiator.problem.isMalformed)
    }

    @Test(arguments: ["default", "iser", "bnx2i.00:11:22:33:44:55", "moor-a1b2c3", "eth0_1"])
    func plainIfaceNamesAreAccepted(iface: String) throws {
        #expect(try VolumeDefinition.parse(Self.with(["iface": iface])).iscsi?.iface == iface)
    }

    /// iscsiadm writes `ifaces/<iface>`: `../../../etc/passwd` overwrote the file.
    @Test(arguments: ["../../../etc/passwd", "..", ".", ".hidden", "-I", "a/b", "a b", "a\nb", String(repeating: "a", count: 65)])
    func ifaceThatIsNotOnePlainNameIsRefused(iface: String) throws {
        let error = try #require(parseError(Self.with(["iface": iface])))
        #expect(error.key == "iface")
        #expect(error.problem.isMalformed)
    }

    @Test(arguments: ["fe80::1:3260", "[fe80::1]", "10.0.0.5:3260\n", "10.0.0.5:+326", "[evil]:3260"])
    func portalsAreHostColonPortWithIPv6InBrackets(portal: String) throws {
        #expect(try #require(parseError(Self.with(["portal": portal]))).key == "portal")
        #expect(try #require(parseError(Self.with(["portals": "10.0.0.6:3260," + portal]))).key == "portals")
    }

    @Test(arguments: ["chapUser", "chapSecret", "discoveryChapUser", "discoveryChapSecret"])
    func chapCredentialsWithANewlineAreRefusedWithoutEchoingThem(key: String) throws {
        let pairs = ["chapUser": "chapSecret", "chapSecret": "chapUser", "discoveryChapUser": "discoveryChapSecret",
                     "discoveryChapSecret": "discoveryChapUser"]
        let other = try #require(pairs[key])
        let error = try #require(parseError(Self.with([other: "ok"]), secrets: [key: Secret("pw\nnode.startup = automatic")]))
        #expect(error.key == key)
        #expect(error.problem.isMalformed)
        #expect(!error.userMessage.contains("automatic"))
    }
}
