import Testing
@testable import MoorCore

@Suite struct MountOptionListTests {
    static func parse(_ text: String) -> MountOptionList? { try? MountOptionList.parse(text).get() }

    static func reason(_ text: String) -> String? {
        if case .failure(let rejection) = MountOptionList.parse(text) { return rejection.reason }
        return nil
    }

    @Test(arguments: [("", [String]()), ("noatime", ["noatime"]), ("noatime,discard", ["noatime", "discard"]),
                      ("uid=1000,gid=1000,nfsvers=4.1", ["uid=1000", "gid=1000", "nfsvers=4.1"]),
                      ("context=system_u:object_r:x:s0", ["context=system_u:object_r:x:s0"])])
    func validListsAreSplitOnCommas(text: String, options: [String]) throws {
        let list = try #require(Self.parse(text))
        #expect(list.options == options)
        #expect(list.isEmpty == options.isEmpty)
        #expect(list.joined == text)
    }

    @Test(arguments: [
        ("noatime\ndiscard", "newline"), ("a b", "whitespace"), ("a\tb", "whitespace"), ("a\u{7f}", "control"),
        ("-o", "'-'"), ("noatime,-v", "'-'"),
        ("a,,b", "empty element"), (",a", "empty element"), ("a,", "empty element"),
        ("a\"b", "quote"), ("a'b", "quote"), (#"a\b"#, "backslash"),
        ("nöatime", "non-ASCII"),
    ])
    func unsafeListsAreRefusedWithAReason(text: String, reasonFragment: String) throws {
        let reason = try #require(Self.reason(text))
        #expect(reason.contains(reasonFragment))
    }

    static let everyType: [[String: String]] = [
        ["size": "16M"], ["size": "16M", "fsType": "xfs"], ["type": "nfs", "server": "10.0.0.5", "share": "/export"],
        ["type": "iscsi", "portal": "10.0.0.5:3260", "iqn": "iqn.2026-11.io.example:store1"],
        ["type": "fuse", "helper": "sshfs", "source": "alice@host:/data"], ["type": "bind", "path": "/srv/data"],
    ]

    /// Options that change what or where is mounted are on no type's
    /// allow-list (`OptionAllowList`), so every type refuses them by name.
    @Test(arguments: [
        ("bind", "'bind'"), ("noatime,rbind", "'rbind'"), ("remount", "'remount'"), ("move", "'move'"),
        ("loop=/dev/loop0", "'loop'"), ("X-mount.mkdir=0700", "'X-mount.mkdir'"), ("offset=512", "'offset'"),
        ("make-shared", "'make-shared'"),
    ])
    func optionsThatChangeWhatIsMountedAreRefusedForEveryType(text: String, reasonFragment: String) throws {
        for base in Self.everyType {
            let error = try #require(parseError(base.merging(["mountOptions": text]) { $1 }, name: "v1"))
            #expect(error.key == "mountOptions")
            #expect(error.userMessage.contains("found \(reasonFragment), which moor manages itself"), "\(base): \(error.userMessage)")
        }
    }

    @Test func containsMatchesNamesWithOrWithoutValue() throws {
        let list = try #require(Self.parse("noatime,uid=1000"))
        #expect(list.contains("noatime"))
        #expect(list.contains("uid"))
        #expect(!list.contains("no"))
        #expect(!list.contains("gid"))
    }

    @Test func appendSkipsDuplicates() throws {
        var list = try #require(Self.parse("noatime"))
        list.append("ro")
        list.append("ro")
        list.append("noatime")
        #expect(list.options == ["noatime", "ro"])
        #expect(list.joined == "noatime,ro")
    }
}
