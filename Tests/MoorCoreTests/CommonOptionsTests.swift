import Testing
@testable import MoorCore

@Suite struct CommonOptionsTests {
    static func common(_ options: [String: String]) throws -> CommonOptions {
        try VolumeDefinition.parse(options, name: "v1").common
    }

    @Test(arguments: [("true", true), ("yes", true), ("1", true), ("on", true), ("TRUE", true), ("Yes", true),
                      ("false", false), ("no", false), ("0", false), ("off", false), ("", false)])
    func readOnlyAcceptsTheUsualSpellings(text: String, expected: Bool) throws {
        #expect(try Self.common(["readOnly": text]).readOnly == expected)
    }

    @Test(arguments: ["maybe", "2", "t", "ro"])
    func readOnlyRejectsOtherWords(text: String) throws {
        let error = try #require(parseError(["readOnly": text], name: "v1"))
        #expect(error.key == "readOnly")
        #expect(error.userMessage.contains("true or false"))
    }

    @Test func mountOptionsAreParsed() throws {
        #expect(try Self.common(["mountOptions": "noatime,discard"]).mountOptions.options == ["noatime", "discard"])
    }

    @Test(arguments: ["noatime\ndiscard", "-o", "noatime,-o", "noatime,,discard", "noatime,", "bind", "rbind",
                      "noatime,remount", "context=\"x\"", "a'b", "no atime"])
    func unsafeMountOptionsNameTheMountOptionsKey(text: String) throws {
        let error = try #require(parseError(["mountOptions": text], name: "v1"))
        #expect(error.key == "mountOptions")
        #expect(error.problem.isMalformed)
    }

    @Test(arguments: [("0", UInt32(0)), ("1000", UInt32(1000)), ("4294967294", UInt32(4_294_967_294))])
    func uidAndGidAreParsed(text: String, id: UInt32) throws {
        let common = try Self.common(["uid": text, "gid": text])
        #expect(common.uid == id)
        #expect(common.gid == id)
    }

    @Test(arguments: ["4294967295", "-1", "1e3", "abc", "99999999999999999999999", " 1"])
    func idsOutOfRangeAreRefused(text: String) throws {
        #expect(try #require(parseError(["uid": text], name: "v1")).key == "uid")
        #expect(try #require(parseError(["gid": text], name: "v1")).key == "gid")
    }

    @Test(arguments: [("0755", UInt32(0o755)), ("755", UInt32(0o755)), ("0", UInt32(0)), ("2775", UInt32(0o2775)),
                      ("07777", UInt32(0o7777))])
    func modeIsOctal(text: String, mode: UInt32) throws {
        #expect(try Self.common(["mode": text]).mode == mode)
    }

    @Test(arguments: ["8", "0o755", "17777", "123456", "rwx", "-755", "0x1ff"])
    func badModeIsRefused(text: String) throws {
        let error = try #require(parseError(["mode": text], name: "v1"))
        #expect(error.key == "mode")
        #expect(error.userMessage.contains("octal"))
    }

    @Test(arguments: [("1", Int64(1)), ("90", Int64(90)), ("3600", Int64(3600))])
    func timeoutIsInSeconds(text: String, seconds: Int64) throws {
        #expect(try Self.common(["timeout": text]).timeout == .seconds(seconds))
    }

    @Test(arguments: ["0", "3601", "1.5", "-1", "10s", "abc"])
    func timeoutOutOfRangeIsRefused(text: String) throws {
        let error = try #require(parseError(["timeout": text], name: "v1"))
        #expect(error.key == "timeout")
        #expect(error.userMessage.contains("1 to 3600"))
    }
}
