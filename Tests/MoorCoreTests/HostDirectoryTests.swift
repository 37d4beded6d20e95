import Foundation
import MoorTestSupport
import Testing
@testable import MoorCore

@Suite struct HostDirectoryTests {
    func tree() throws -> TempDirectory {
        let dir = try TempDirectory()
        try FileManager.default.createDirectory(atPath: dir.path + "/allowed/data", withIntermediateDirectories: true)
        try "mine\n".write(toFile: dir.path + "/allowed/data/file", atomically: false, encoding: .utf8)
        return dir
    }

    @Test func opensARealDirectoryAtTheWrittenPath() throws {
        let dir = try tree(); defer { dir.remove() }
        let opened = try HostDirectory.open(dir.path + "/allowed/data", create: nil)
        defer { opened.close() }
        #expect(!opened.created)
        #expect(try Sys.readlink(AT_FDCWD, opened.mountSource, path: "") == dir.path + "/allowed/data")
    }

    @Test func aSymlinkAnywhereInThePathIsNamed() throws {
        let dir = try tree(); defer { dir.remove() }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link", withDestinationPath: "allowed")
        for path in [dir.path + "/link", dir.path + "/link/data"] {
            #expect {
                _ = try HostDirectory.open(path, create: nil)
            } throws: { error in
                guard case .symlink(let prefix, let target) = error as? HostDirectory.Failure else { return false }
                return prefix == dir.path + "/link" && target == "allowed"
            }
        }
    }

    @Test func aMissingComponentIsNamedAndOnlyTheLastIsCreated() throws {
        let dir = try tree(); defer { dir.remove() }
        #expect {
            _ = try HostDirectory.open(dir.path + "/allowed/x/y", create: .init(mode: 0o755))
        } throws: { error in
            guard case .missing(let prefix, let isLast) = error as? HostDirectory.Failure else { return false }
            return prefix == dir.path + "/allowed/x" && !isLast
        }
        let made = try HostDirectory.open(dir.path + "/allowed/new", create: .init(mode: 0o2750))
        made.close()
        #expect(made.created)
        var info = stat()
        #expect(lstat(dir.path + "/allowed/new", &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o2750, "the mode asked for, whatever the umask")
    }

    @Test func aFileIsNotADirectory() throws {
        let dir = try tree(); defer { dir.remove() }
        #expect {
            _ = try HostDirectory.open(dir.path + "/allowed/data/file", create: nil)
        } throws: { error in
            guard case .notDirectory(let prefix) = error as? HostDirectory.Failure else { return false }
            return prefix == dir.path + "/allowed/data/file"
        }
    }

    /// The check-then-mount race: the path is swapped for a symlink to
    /// /etc after moor opened it. The bind still mounts what was checked.
    @Test(.enabled(if: Node.canBindMount))
    func aBindFromTheDescriptorIgnoresASymlinkSwappedInAfterTheCheck() throws {
        let dir = try tree(); defer { dir.remove() }
        let target = dir.path + "/target"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let opened = try HostDirectory.open(dir.path + "/allowed/data", create: nil)
        defer { opened.close() }
        try FileManager.default.moveItem(atPath: dir.path + "/allowed/data", toPath: dir.path + "/allowed/data.old")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/allowed/data", withDestinationPath: "/etc")

        let mounter = LinuxMounter()
        try mounter.mount(.bind(opened.mountSource, to: target))
        defer { try? mounter.unmount(target, mode: .detach) }
        #expect(try String(contentsOfFile: target + "/file", encoding: .utf8) == "mine\n")
        #expect(!FileManager.default.fileExists(atPath: target + "/passwd"))
    }
}

/// Paths below a staging mount (an NFS `subdir`): never through a symlink.
@Suite struct HostDirectoryBeneathTests {
    @Test func aPlainSubdirectoryOpensBeneathTheRoot() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/share/team/a", withIntermediateDirectories: true)
        let opened = try HostDirectory.open("team/a", beneath: dir.path + "/share")
        defer { opened.close() }
        #expect(try Sys.readlink(AT_FDCWD, opened.mountSource, path: "") == dir.path + "/share/team/a")
    }

    /// The server's `evil -> /etc`, and a link that stays inside the share:
    /// both refused, named by the path inside the share.
    @Test(arguments: ["evil", "evil/ssh", "hop/a", "team/inner-link"])
    func aSymlinkAnywhereBelowTheRootIsRefused(subdir: String) throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let share = dir.path + "/share"
        try FileManager.default.createDirectory(atPath: share + "/team/a", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: share + "/evil", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: share + "/hop", withDestinationPath: "team")
        try FileManager.default.createSymbolicLink(atPath: share + "/team/inner-link", withDestinationPath: "a")
        #expect {
            _ = try HostDirectory.open(subdir, beneath: share)
        } throws: { error in
            guard case .symlink(let prefix, _) = error as? HostDirectory.Failure else { return false }
            return prefix.hasPrefix(share + "/")
        }
    }

    @Test func aMissingSubdirectoryIsNamed() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/share", withIntermediateDirectories: true)
        #expect {
            _ = try HostDirectory.open("nope/deeper", beneath: dir.path + "/share")
        } throws: { error in
            guard case .missing(let prefix, let isLast) = error as? HostDirectory.Failure else { return false }
            return prefix == dir.path + "/share/nope" && !isLast
        }
    }
}
