/// Recognises ext4 and XFS from the first 64 KiB of a device without
/// running blkid. It answers only when exactly one of them is there and
/// none of the signatures that can sit beside a file system in that range
/// (a partition table, LVM, LUKS, MD RAID 1.1/1.2, swap); in every other
/// case (blank, unknown, ambiguous) the caller asks blkid, as before.
/// Signatures at the end of a device (MD 0.90/1.0, DRBD, hardware RAID)
/// are not looked for: that is why only moor's own sparse images, which
/// nothing but moor's mkfs and the mounted file system writes, are scanned.
public enum SignatureScan {
    public static let length = 64 << 10

    public enum Found: Equatable, Sendable {
        case ext4(Ext4Superblock)
        case xfs
    }

    public static func recognise(_ head: [UInt8]) -> Found? {
        guard head.count >= length, !hasNeighbourSignature(head) else { return nil }
        let ext4 = Ext4Superblock(head[Int(Ext4Superblock.offset)..<Int(Ext4Superblock.offset) + Ext4Superblock.size])
        let xfs = isXFS(head)
        switch (ext4, xfs) {
        case (let superblock?, false) where superblock.isExt4: return .ext4(superblock)
        case (nil, true): return .xfs
        default: return nil
        }
    }

    /// "XFSB", a version-4 or -5 superblock, a power-of-two block size (all big-endian).
    static func isXFS(_ head: [UInt8]) -> Bool {
        guard head[0..<4].elementsEqual("XFSB".utf8) else { return false }
        let blockSize = head[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let version = (UInt16(head[100]) << 8 | UInt16(head[101])) & 0x000F
        return (version == 4 || version == 5) && blockSize >= 512 && blockSize <= 65536 && blockSize & (blockSize - 1) == 0
    }

    static func hasNeighbourSignature(_ head: [UInt8]) -> Bool {
        func at(_ offset: Int, _ magic: [UInt8]) -> Bool { head[offset..<offset + magic.count].elementsEqual(magic) }
        let mdMagic: [UInt8] = [0xFC, 0x4E, 0x2B, 0xA9]
        return at(510, [0x55, 0xAA])                                  // DOS/MBR boot signature
            || at(512, Array("EFI PART".utf8))                         // GPT header
            || (0..<4).contains { at($0 * 512, Array("LABELONE".utf8)) } // LVM2 physical volume
            || at(0, Array("LUKS".utf8) + [0xBA, 0xBE])                 // LUKS1/2
            || at(0, Array("SKUL".utf8) + [0xBA, 0xBE])                 // LUKS2 secondary header
            || at(0, mdMagic) || at(4096, mdMagic)                      // MD RAID 1.1, 1.2
            || [4096, 8192, 16384, 32768, 65536].contains { page in     // swap, per page size
                at(page - 10, Array("SWAPSPACE2".utf8)) || at(page - 10, Array("SWAP-SPACE".utf8))
            }
    }
}
