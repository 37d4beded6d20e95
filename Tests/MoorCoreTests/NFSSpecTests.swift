import Testing
@testable import MoorCore

@Suite struct NFSSpecTests {
    static let base = ["type": "nfs", "server": "nas.example.com", "share": "/export/data"]

    static func with(_ extra: [String: String]) -> [String: String] { base.merging(extra) { $1 } }

    @Test func minimalExportIsParsed() throws {
        let nfs = try #require(try VolumeDefinition.parse(Self.base).nfs)
        #expect(nfs.server == "nas.example.com")
        #expect(nfs.share == "/export/data")
        #expect(nfs.subdir == nil)
        #expect(nfs.createSubdir == false)
        #expect(nfs.version == nil)
    }

    @Test func missingServerNamesTheServerKey() throws {
        let error = try #require(parseError(["type": "nfs", "share": "/export"]))
        #expect(error.key == "server")
        #expect(error.problem == .missing)
        #expect(error.userMessage == "nfs: missing required option 'server'")
    }

    @Test func missingShareNamesTheShareKey() throws {
        let error = try #require(parseError(["type": "nfs", "server": "nas"]))
        #expect(error.key == "share")
        #expect(error.problem == .missing)
    }

    @Test(arguments: ["-oexec", "nas example", "nas/x", "nas;reboot", "[zz::1]"])
    func badServerIsRefused(server: String) throws {
        let error = try #require(parseError(Self.with(["server": server])))
        #expect(error.key == "server")
    }

    @Test(arguments: ["10.0.0.5", "nas-1.example.com", "[fd00::5]", "fd00::5"])
    func hostNamesAndAddressesAreAccepted(server: String) throws {
        #expect(try VolumeDefinition.parse(Self.with(["server": server])).nfs?.server == server)
    }

    @Test(arguments: ["export", "/export/../etc", "/export//x"])
    func shareMustBeACleanAbsolutePath(share: String) throws {
        #expect(try #require(parseError(Self.with(["share": share]))).key == "share")
    }

    @Test func subdirAndCreateSubdirAreParsed() throws {
        let nfs = try #require(try VolumeDefinition.parse(Self.with(["subdir": "team/a", "createSubdir": "true"])).nfs)
        #expect(nfs.subdir == "team/a")
        #expect(nfs.createSubdir)
    }

    @Test(arguments: ["../x", "a/../../b", "a//b", "/abs"])
    func subdirMustStayInsideTheShare(subdir: String) throws {
        #expect(try #require(parseError(Self.with(["subdir": subdir]))).key == "subdir")
    }

    @Test func createSubdirWithoutSubdirConflicts() throws {
        let error = try #require(parseError(Self.with(["createSubdir": "yes"])))
        #expect(error.key == "createSubdir")
        #expect(error.problem.isConflict)
    }

    @Test(arguments: NFSSpec.versions)
    func supportedVersionsAreAccepted(version: String) throws {
        #expect(try VolumeDefinition.parse(Self.with(["version": version])).nfs?.version == version)
    }

    @Test(arguments: ["5", "v4", "4.3", "2", "4,1"])
    func badVersionNamesTheKeyAndListsTheVersions(version: String) throws {
        let error = try #require(parseError(Self.with(["version": version])))
        #expect(error.key == "version")
        #expect(error.problem.isMalformed)
        for listed in ["3", "4", "4.1", "4.2"] {
            #expect(error.userMessage.contains(listed))
        }
        #expect(error.userMessage.contains("3, 4, 4.0, 4.1, 4.2"))
    }

    /// `[]` holds no address at all.
    @Test func emptyBracketedAddressIsNotAHost() throws {
        #expect(HostName.isValid("[]") == false)
        #expect(parseError(Self.with(["server": "[]"]))?.key == "server")
    }

    @Test(arguments: [("nas", true), ("10.0.0.1", true), ("[::1]", true), ("", false), ("-x", false),
                      (String(repeating: "a", count: 254), false), ("host_name", false), ("host\tname", false)])
    func hostNameValidation(host: String, valid: Bool) {
        #expect(HostName.isValid(host) == valid)
    }
}
