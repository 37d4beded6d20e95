import Testing
@testable import MoorCore

@Suite struct MountTableTests {
    /// A mountinfo line with the given mount point, source and optional fields.
    static func line(id: Int = 30, parent: Int = 1, device: String = "8:1", root: String = "/",
                     mountPoint: String, options: String = "rw,relatime", optional: String = "",
                     fsType: String = "ext4", source: String = "/dev/sda1", superOptions: String = "rw") -> String {
        let fields = [String(id), String(parent), device, root, mountPoint, options] + (optional.isEmpty ? [] : [optional])
            + ["-", fsType, source, superOptions]
        return fields.joined(separator: " ")
    }

    @Test func parsesEveryFieldOfATypicalLine() throws {
        let table = MountTable(parsing: "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n")
        let entry = try #require(table.entries.first)
        #expect(table.entries.count == 1)
        #expect(entry.id == 22)
        #expect(entry.parentID == 1)
        #expect(entry.major == 8)
        #expect(entry.minor == 1)
        #expect(entry.device == DeviceNumber(major: 8, minor: 1))
        #expect(entry.device.description == "8:1")
        #expect(entry.root == "/")
        #expect(entry.mountPoint == "/")
        #expect(entry.options == ["rw", "relatime"])
        #expect(entry.optionalFields == ["shared:1"])
        #expect(entry.fsType == "ext4")
        #expect(entry.source == "/dev/sda1")
        #expect(entry.superOptions == ["rw", "errors=remount-ro"])
        #expect(entry.isDeleted == false)
        #expect(entry.isShared)
        #expect(entry.isReadOnly == false)
    }

    @Test func readOnlyComesFromThePerMountOptions() throws {
        let table = MountTable(parsing: Self.line(mountPoint: "/ro", options: "ro,nosuid", superOptions: "rw"))
        #expect(try #require(table.entries.first).isReadOnly)
    }

    @Test(arguments: [
        (#"/mnt/my\040disk"#, "/mnt/my disk"),
        (#"/mnt/tab\011here"#, "/mnt/tab\there"),
        (#"/mnt/new\012line"#, "/mnt/new\nline"),
        (#"/mnt/back\134slash"#, #"/mnt/back\slash"#),
        (#"/mnt/trailing\040"#, "/mnt/trailing "),
        (#"/mnt/two\040\040spaces"#, "/mnt/two  spaces"),
        (#"/mnt/caf\303\251"#, "/mnt/café"),
        (#"/mnt/not\08octal"#, #"/mnt/not\08octal"#),
        (#"/mnt/short\04"#, #"/mnt/short\04"#),
    ])
    func mountPointEscapesAreUndone(escaped: String, expected: String) throws {
        let table = MountTable(parsing: Self.line(mountPoint: escaped))
        #expect(try #require(table.entries.first).mountPoint == expected)
    }

    @Test func sourceAndRootEscapesAreUndone() throws {
        let text = Self.line(root: #"/sub\040dir"#, mountPoint: "/mnt/nfs", fsType: "nfs4",
                             source: #"server:/export\040with\011tab\134x"#)
        let entry = try #require(MountTable(parsing: text).entries.first)
        #expect(entry.source == "server:/export with\ttab\\x")
        #expect(entry.root == "/sub dir")
    }

    @Test(arguments: [
        ("", [String]()),
        ("shared:12", ["shared:12"]),
        ("shared:12 master:3", ["shared:12", "master:3"]),
        ("master:2 propagate_from:1 unbindable", ["master:2", "propagate_from:1", "unbindable"]),
    ])
    func optionalFieldsAreCollectedUpToTheSeparator(optional: String, expected: [String]) throws {
        let entry = try #require(MountTable(parsing: Self.line(mountPoint: "/mnt/x", optional: optional)).entries.first)
        #expect(entry.optionalFields == expected)
        #expect(entry.isShared == expected.contains { $0.hasPrefix("shared:") })
        // The fields after the separator must not shift with the number of optional fields.
        #expect(entry.fsType == "ext4")
        #expect(entry.source == "/dev/sda1")
        #expect(entry.superOptions == ["rw"])
    }

    @Test func deletedSuffixIsStrippedAndFlagged() throws {
        let entry = try #require(MountTable(parsing: Self.line(mountPoint: #"/mnt/x\040(deleted)"#)).entries.first)
        #expect(entry.mountPoint == "/mnt/x")
        #expect(entry.isDeleted)
    }

    @Test func mountPointContainingDeletedMidwayIsNotFlagged() throws {
        let entry = try #require(MountTable(parsing: Self.line(mountPoint: #"/mnt/x\040(deleted)y"#)).entries.first)
        #expect(entry.mountPoint == "/mnt/x (deleted)y")
        #expect(entry.isDeleted == false)
    }

    @Test func superOptionsKeepQuotedCommasTogether() throws {
        let text = Self.line(mountPoint: "/mnt/nfs", fsType: "nfs4", source: "srv:/e",
                             superOptions: #"rw,context="system_u:object_r:nfs_t:s0:c1,c2",vers=4.2"#)
        let entry = try #require(MountTable(parsing: text).entries.first)
        #expect(entry.superOptions == ["rw", #"context="system_u:object_r:nfs_t:s0:c1,c2""#, "vers=4.2"])
    }

    @Test(arguments: [
        "",
        "garbage",
        "22 1 8:1 / /x rw shared:1 ext4 /dev/sda1 rw",           // no separator
        "x 1 8:1 / /x rw - ext4 /dev/sda1 rw",                    // id not a number
        "22 y 8:1 / /x rw - ext4 /dev/sda1 rw",                   // parent not a number
        "22 1 8-1 / /x rw - ext4 /dev/sda1 rw",                   // device without a colon
        "22 1 8:a / /x rw - ext4 /dev/sda1 rw",                   // minor not a number
        "22 1 8:1 / /x rw - ext4 /dev/sda1",                      // no super options
        "22 1 8:1 / /x rw shared:1 master:2 - ext4 /dev/sda1",    // too few fields after the separator
    ])
    func malformedLinesAreSkipped(bad: String) {
        let text = [Self.line(id: 1, mountPoint: "/a"), bad, Self.line(id: 3, mountPoint: "/c")].joined(separator: "\n")
        let table = MountTable(parsing: text)
        #expect(table.entries.map(\.id) == [1, 3])
        #expect(table.entries.map(\.mountPoint) == ["/a", "/c"])
    }

    /// proc(5) fields are separated by single spaces; the kernel prints an
    /// empty mount source (`mount -t tmpfs '' /mnt`) as an empty field, so
    /// the line holds two spaces in a row. That mount exists and must be seen.
    @Test func mountWithAnEmptySourceIsStillListed() throws {
        let text = "42 27 0:39 / /tmp/emptysrc rw,relatime - tmpfs  rw\n"
        let table = MountTable(parsing: text)
        let entry = try #require(table.mount(at: "/tmp/emptysrc"))
        #expect(entry.source == "")
        #expect(entry.fsType == "tmpfs")
        #expect(entry.superOptions == ["rw"])
    }

    @Test func mountAtReturnsTheTopmostOfStackedMounts() throws {
        let table = MountTable(parsing: [
            Self.line(id: 10, device: "8:1", mountPoint: "/"),
            Self.line(id: 11, device: "7:0", mountPoint: "/mnt/stack", source: "/dev/loop0"),
            Self.line(id: 12, device: "7:1", mountPoint: "/mnt/other", source: "/dev/loop1"),
            Self.line(id: 13, device: "7:2", mountPoint: "/mnt/stack", source: "/dev/loop2"),
        ].joined(separator: "\n"))
        let top = try #require(table.mount(at: "/mnt/stack"))
        #expect(top.id == 13)
        #expect(top.source == "/dev/loop2")
        #expect(table.isMountPoint("/mnt/stack"))
        #expect(table.isMountPoint("/mnt/stack/sub") == false)
        #expect(table.mount(at: "/mnt") == nil)
    }

    @Test func mountsOfDeviceListsEveryMountOfThatFileSystem() {
        let table = MountTable(parsing: [
            Self.line(id: 1, device: "8:1", mountPoint: "/"),
            Self.line(id: 2, device: "7:3", mountPoint: "/var/lib/moor/staging/k", source: "/dev/loop3"),
            Self.line(id: 3, device: "7:3", root: "/", mountPoint: "/pods/a/vol", source: "/dev/loop3"),
            Self.line(id: 4, device: "7:30", mountPoint: "/pods/b/vol", source: "/dev/loop30"),
            Self.line(id: 5, device: "70:3", mountPoint: "/pods/c/vol", source: "/dev/x"),
        ].joined(separator: "\n"))
        #expect(table.mounts(of: DeviceNumber(major: 7, minor: 3)).map(\.id) == [2, 3])
        #expect(table.mounts(of: DeviceNumber(major: 9, minor: 9)).isEmpty)
    }

    @Test func mountsUnderMatchesWholePathComponentsOnly() {
        let table = MountTable(parsing: [
            Self.line(id: 1, mountPoint: "/a"),
            Self.line(id: 2, mountPoint: "/a/b"),
            Self.line(id: 3, mountPoint: "/a/bc"),
            Self.line(id: 4, mountPoint: "/a/b/c"),
            Self.line(id: 5, mountPoint: "/a/b/c/d"),
            Self.line(id: 6, mountPoint: "/ab"),
        ].joined(separator: "\n"))
        #expect(table.mounts(under: "/a/b").map(\.id) == [2, 4, 5])
        #expect(table.mounts(under: "/a").map(\.id) == [1, 2, 3, 4, 5])
        #expect(table.mounts(under: "/a/bc").map(\.id) == [3])
        #expect(table.mounts(under: "/nothing").isEmpty)
    }

    @Test func containingPicksTheLongestMountPointThatPrefixesThePath() throws {
        let table = MountTable(parsing: [
            Self.line(id: 1, mountPoint: "/"),
            Self.line(id: 2, mountPoint: "/var"),
            Self.line(id: 3, mountPoint: "/var/lib/moor"),
            Self.line(id: 4, mountPoint: "/var/lib/moorx"),
        ].joined(separator: "\n"))
        #expect(table.containing("/var/lib/moor/staging/k")?.id == 3)
        #expect(table.containing("/var/lib/moor")?.id == 3)
        #expect(table.containing("/var/lib/moo")?.id == 2)
        #expect(table.containing("/var/lib/moorxy")?.id == 2)
        #expect(table.containing("/etc/passwd")?.id == 1)
        #expect(MountTable(entries: []).containing("/x") == nil)
    }

    /// The file at a path lives in the topmost mount stacked there, the one
    /// `mount(at:)` returns; `containing` must agree with it.
    @Test func containingPicksTheTopmostOfStackedMounts() {
        let table = MountTable(parsing: [
            Self.line(id: 1, mountPoint: "/"),
            Self.line(id: 2, device: "7:0", mountPoint: "/mnt/stack", source: "/dev/loop0"),
            Self.line(id: 3, device: "7:1", mountPoint: "/mnt/stack", source: "/dev/loop1"),
        ].joined(separator: "\n"))
        #expect(table.mount(at: "/mnt/stack")?.id == 3)
        #expect(table.containing("/mnt/stack/file")?.id == 3)
        #expect(table.containing("/mnt/stack")?.id == 3)
    }

    @Test func parsesTheRealMountinfoOfThisProcess() throws {
        let text = try Sys.readText("/proc/self/mountinfo")
        let lines = text.split(separator: "\n")
        let table = MountTable(parsing: text)
        // Every line with no empty field (see mountWithAnEmptySourceIsStillListed) is parsed.
        #expect(table.entries.count == lines.filter { !$0.contains("  ") }.count)
        #expect(table.mount(at: "/") != nil)
        #expect(table.containing("/proc/self/mountinfo")?.fsType == "proc")
    }
}
