import Foundation
import MoorTestSupport
import Testing
@testable import MoorCore

/// The superblock reading and the fsck decision, on images made by the real
/// mkfs.ext4 and changed with the real tune2fs and debugfs (e2fsprogs reads
/// and writes regular files as well as devices).
@Suite(.enabled(if: Node.isCI || FileManager.default.isExecutableFile(atPath: "/sbin/debugfs")))
struct Ext4SuperblockTests {
    /// A fresh ext4 image of `size` in its own directory.
    struct Image {
        let directory: TempDirectory
        var path: String { directory.path + "/disk.img" }

        init(size: String = "64M", mkfs: String = "mkfs.ext4", options: [String] = []) throws {
            directory = try TempDirectory()
            try Shell.run("/usr/bin/truncate", ["-s", size, path])
            try Shell.run("/sbin/" + mkfs, ["-q", "-F"] + options + [path])
        }

        func run(_ tool: String, _ arguments: [String]) throws { try Shell.run("/sbin/" + tool, arguments + [path]) }
        func debugfs(_ request: String) throws { try run("debugfs", ["-w", "-R", request]) }

        func superblock() throws -> Ext4Superblock {
            try #require(Ext4Superblock(try Sys.read(path, offset: Ext4Superblock.offset, count: Ext4Superblock.size)))
        }

        func backup(of superblock: Ext4Superblock) throws -> Ext4Superblock? {
            guard let offset = superblock.firstBackupOffset else { return nil }
            return Ext4Superblock(try Sys.read(path, offset: offset, count: Ext4Superblock.size))
        }

        func checkReason() throws -> String? {
            let superblock = try superblock()
            return superblock.checkReason(now: Int64(Date().timeIntervalSince1970), backup: try backup(of: superblock))
        }

        /// Overwrites bytes at `offset`, behind e2fsprogs' back.
        func write(_ bytes: [UInt8], at offset: UInt64) throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data(bytes))
            try handle.close()
        }

        func remove() { directory.remove() }
    }

    @Test(arguments: ["64M", "1G"]) // 1 KiB blocks with first data block 1, and 4 KiB blocks
    func freshExt4IsRecognisedAndNeedsNoCheck(size: String) throws {
        let image = try Image(size: size); defer { image.remove() }
        let superblock = try image.superblock()
        #expect(superblock.isExt4)
        #expect(superblock.checksumIsValid, "mkfs.ext4 sets metadata_csum; the CRC32C must match")
        #expect(try image.backup(of: superblock) != nil, "group 1's backup is found where mkfs put it")
        #expect(try image.checkReason() == nil)
    }

    @Test func recordedErrorsNeedACheck() throws {
        let image = try Image(); defer { image.remove() }
        try image.debugfs("ssv state 3") // valid, with errors
        #expect(try image.checkReason() == "errors recorded")
    }

    @Test func notCleanlyUnmountedNeedsACheck() throws {
        let image = try Image(); defer { image.remove() }
        try image.debugfs("ssv state 0")
        #expect(try image.checkReason() == "not cleanly unmounted")
    }

    @Test func journalToReplayNeedsACheck() throws {
        let image = try Image(); defer { image.remove() }
        try image.debugfs("feature needs_recovery")
        #expect(try image.checkReason() == "journal needs recovery")
    }

    @Test func orphansNeedACheck() throws {
        let image = try Image(); defer { image.remove() }
        try image.debugfs("ssv last_orphan 12")
        #expect(try image.checkReason() == "orphan inodes")
        try image.debugfs("ssv last_orphan 0")
        #expect(try image.checkReason() == nil)
        try image.debugfs("ssv state 5") // valid, orphans being recovered
        #expect(try image.checkReason() == "orphan inodes")
    }

    @Test func maximalMountCountReachedNeedsACheck() throws {
        let image = try Image(); defer { image.remove() }
        try image.run("tune2fs", ["-c", "5", "-C", "4"])
        #expect(try image.checkReason() == nil, "4 of 5 mounts: not yet")
        try image.run("tune2fs", ["-C", "5"])
        #expect(try image.checkReason() == "maximal mount count reached")
    }

    @Test func passedCheckIntervalNeedsACheck() throws {
        let image = try Image(); defer { image.remove() }
        try image.run("tune2fs", ["-i", "1d"])
        #expect(try image.checkReason() == nil, "checked just now")
        try image.run("tune2fs", ["-T", "20200101"])
        #expect(try image.checkReason() == "check interval passed")
        try image.run("tune2fs", ["-T", "20990101"])
        #expect(try image.checkReason() == "last check is in the future")
    }

    @Test func backupSuperblockThatDisagreesNeedsACheck() throws {
        let image = try Image(); defer { image.remove() }
        let offset = try #require(try image.superblock().firstBackupOffset)
        try image.write([0x42], at: offset + 0x68) // first byte of the backup's UUID
        #expect(try image.checkReason() == "primary and backup superblocks differ")
    }

    @Test func superblockWithABadChecksumIsNotTrusted() throws {
        let image = try Image(); defer { image.remove() }
        try image.write(Array("changed".utf8), at: Ext4Superblock.offset + 0x78) // s_volume_name, checksum left stale
        let superblock = try image.superblock()
        #expect(!superblock.isExt4, "not recognised directly: blkid decides")
        #expect(superblock.checkReason(now: 0, backup: nil) == "superblock checksum does not match")
    }

    @Test(arguments: ["mkfs.ext2", "mkfs.ext3"])
    func ext2AndExt3AreLeftToBlkid(mkfs: String) throws {
        let image = try Image(mkfs: mkfs); defer { image.remove() }
        #expect(try !image.superblock().isExt4)
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        // CRC-32C of "123456789" is 0xE3069283 (with the usual inversions).
        #expect(~CRC32C.update(0xFFFF_FFFF, Array("123456789".utf8)) == 0xE306_9283)
    }
}
