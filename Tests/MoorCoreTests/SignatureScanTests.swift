import Foundation
import MoorTestSupport
import Testing
@testable import MoorCore

/// Direct recognition of moor's own images, on heads of images made by the
/// real mkfs.ext4 and mkfs.xfs: anything not beyond doubt is left to blkid.
@Suite(.enabled(if: Node.isCI || FileManager.default.isExecutableFile(atPath: "/sbin/mkfs.xfs")))
struct SignatureScanTests {
    static func head(mkfs: String, size: String) throws -> [UInt8] {
        let directory = try TempDirectory(); defer { directory.remove() }
        let path = directory.path + "/disk.img"
        try Shell.run("/usr/bin/truncate", ["-s", size, path])
        try Shell.run("/sbin/" + mkfs, (mkfs == "mkfs.xfs" ? ["-q", "-f"] : ["-q", "-F"]) + [path])
        return try Sys.read(path, offset: 0, count: SignatureScan.length)
    }

    static func with(_ bytes: [UInt8], at offset: Int, in head: [UInt8]) -> [UInt8] {
        var changed = head
        changed.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        return changed
    }

    @Test func ext4IsRecognised() throws {
        guard case .ext4(let superblock)? = SignatureScan.recognise(try Self.head(mkfs: "mkfs.ext4", size: "64M")) else {
            Issue.record("ext4 not recognised"); return
        }
        #expect(superblock.isExt4)
    }

    @Test func xfsIsRecognised() throws {
        #expect(SignatureScan.recognise(try Self.head(mkfs: "mkfs.xfs", size: "512M")) == .xfs)
    }

    @Test func zerosAreLeftToBlkid() {
        #expect(SignatureScan.recognise([UInt8](repeating: 0, count: SignatureScan.length)) == nil)
    }

    @Test func aShortReadIsLeftToBlkid() throws {
        #expect(SignatureScan.recognise(Array(try Self.head(mkfs: "mkfs.ext4", size: "64M").prefix(4096))) == nil)
    }

    /// A signature that can sit beside a file system: blkid must see it
    /// (and moor then refuses the device, as before).
    @Test(arguments: [
        ("DOS boot signature", 510, [UInt8]([0x55, 0xAA])),
        ("GPT header", 512, Array("EFI PART".utf8)),
        ("LVM2 label", 512, Array("LABELONE".utf8)),
        ("LUKS header", 0, Array("LUKS".utf8) + [0xBA, 0xBE]),
        ("MD RAID 1.2", 4096, [0xFC, 0x4E, 0x2B, 0xA9]),
        ("swap", 4086, Array("SWAPSPACE2".utf8)),
        ("XFS beside ext4", 0, Array("XFSB".utf8) + [0, 0, 0x10, 0]),
    ])
    func ext4WithAnotherSignatureIsLeftToBlkid(name: String, offset: Int, bytes: [UInt8]) throws {
        var head = try Self.head(mkfs: "mkfs.ext4", size: "64M")
        if name == "XFS beside ext4" { head[100] = 0; head[101] = 5 } // a plausible version-5 XFS superblock
        #expect(SignatureScan.recognise(Self.with(bytes, at: offset, in: head)) == nil, "\(name)")
    }
}
