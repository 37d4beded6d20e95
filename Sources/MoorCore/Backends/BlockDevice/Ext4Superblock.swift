/// The fields of an ext4 superblock (1024 bytes at byte 1024 of the
/// device, little-endian) that decide whether a file system is ext4 and
/// whether it needs `fsck` before a read-write mount. Offsets are those of
/// the kernel's `struct ext4_super_block`.
public struct Ext4Superblock: Sendable, Equatable {
    public static let offset: UInt64 = 1024
    public static let size = 1024
    static let magic: UInt16 = 0xEF53

    // s_state
    static let validFS: UInt16 = 0x0001
    static let errorFS: UInt16 = 0x0002
    static let orphanFS: UInt16 = 0x0004
    // s_feature_compat
    static let compatSparseSuper2: UInt32 = 0x0200
    // s_feature_incompat
    static let incompatRecover: UInt32 = 0x0004
    static let incompatJournalDevice: UInt32 = 0x0008
    static let incompatExtents: UInt32 = 0x0040
    static let incompatMMP: UInt32 = 0x0100
    // s_feature_ro_compat
    static let roCompatLargeFile: UInt32 = 0x0002
    static let roCompatDirNlink: UInt32 = 0x0020
    static let roCompatMetadataChecksum: UInt32 = 0x0400
    // s_flags
    static let flagTestFilesystem: UInt32 = 0x0004

    let bytes: [UInt8]

    /// Nil unless `bytes` (the 1024 superblock bytes) carry the ext2/3/4 magic.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count >= Self.size else { return nil }
        self.bytes = Array(bytes.prefix(Self.size))
        guard u16(0x38) == Self.magic else { return nil }
    }

    func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }

    var blocksCount: UInt64 { UInt64(u32(0x04)) | (featureIncompat & 0x80 != 0 ? UInt64(u32(0x150)) << 32 : 0) }
    var firstDataBlock: UInt32 { u32(0x14) }
    var logBlockSize: UInt32 { u32(0x18) }
    var blocksPerGroup: UInt32 { u32(0x20) }
    var mountCount: UInt16 { u16(0x34) }
    var maxMountCount: Int16 { Int16(bitPattern: u16(0x36)) }
    var state: UInt16 { u16(0x3A) }
    /// s_lastcheck with its high byte (s_lastcheck_hi, 0x277).
    var lastCheck: Int64 { Int64(u32(0x40)) | Int64(bytes[0x277]) << 32 }
    var checkInterval: UInt32 { u32(0x44) }
    var featureCompat: UInt32 { u32(0x5C) }
    var featureIncompat: UInt32 { u32(0x60) }
    var featureROCompat: UInt32 { u32(0x64) }
    var uuid: ArraySlice<UInt8> { bytes[0x68..<0x78] }
    var lastOrphan: UInt32 { u32(0xE8) }
    var flags: UInt32 { u32(0x160) }
    var storedChecksum: UInt32 { u32(0x3FC) }

    /// What blkid would call `ext4`, narrowed to the unambiguous case:
    /// extents (which ext2/ext3 lack), not an external journal device, not
    /// marked for the old ext4dev test code. Anything else goes to blkid.
    public var isExt4: Bool {
        featureIncompat & Self.incompatExtents != 0
            && featureIncompat & Self.incompatJournalDevice == 0
            && flags & Self.flagTestFilesystem == 0
            && checksumIsValid
    }

    /// With metadata_csum, the superblock's CRC32C (seed ~0, no final
    /// inversion) over everything before the checksum field.
    var checksumIsValid: Bool {
        guard featureROCompat & Self.roCompatMetadataChecksum != 0 else { return true }
        return CRC32C.update(0xFFFF_FFFF, bytes[0..<0x3FC]) == storedChecksum
    }

    /// Where the first backup superblock is (group 1), in bytes, or nil if
    /// the file system has a single group or uses sparse_super2, whose
    /// backup groups this does not work out.
    var firstBackupOffset: UInt64? {
        guard featureCompat & Self.compatSparseSuper2 == 0, blocksPerGroup > 0, logBlockSize <= 6 else { return nil }
        let groups = (blocksCount - UInt64(firstDataBlock) + UInt64(blocksPerGroup) - 1) / UInt64(blocksPerGroup)
        guard groups > 1 else { return nil }
        let blockSize = UInt64(1024) << logBlockSize
        return (UInt64(firstDataBlock) + UInt64(blocksPerGroup)) * blockSize
    }

    /// Why `e2fsck -p` would check this file system rather than exit at
    /// once as clean, or nil if it would not. The same tests as e2fsck's
    /// own skip decision (errors recorded, not cleanly unmounted, mount
    /// count or check interval due, last check in the future, primary and
    /// backup superblock disagree), plus a few where moor would rather
    /// let fsck look: a journal still to replay (e2fsck replays it itself
    /// and may find errors the journal recorded), orphans, MMP, a bad
    /// checksum. `backup` is the first backup superblock, if there is one.
    public func checkReason(now: Int64, backup: Ext4Superblock?) -> String? {
        if !checksumIsValid { return "superblock checksum does not match" }
        if state & Self.errorFS != 0 { return "errors recorded" }
        if state & Self.validFS == 0 { return "not cleanly unmounted" }
        if state & Self.orphanFS != 0 { return "orphan inodes" }
        if featureIncompat & Self.incompatRecover != 0 { return "journal needs recovery" }
        if lastOrphan != 0 { return "orphan inodes" }
        if featureIncompat & Self.incompatMMP != 0 { return "multi-mount protection" }
        if maxMountCount > 0 && Int(mountCount) >= Int(maxMountCount) { return "maximal mount count reached" }
        if checkInterval != 0 {
            if now < lastCheck { return "last check is in the future" }
            if now - lastCheck >= Int64(checkInterval) { return "check interval passed" }
        }
        if firstBackupOffset != nil {
            guard let backup else { return "backup superblock unreadable" }
            if differs(from: backup) { return "primary and backup superblocks differ" }
        }
        return nil
    }

    /// e2fsck's comparison of the primary with a backup superblock: the
    /// feature sets (less the bits the kernel changes at will), sizes and UUID.
    func differs(from backup: Ext4Superblock) -> Bool {
        let incompatIgnored = Self.incompatExtents | Self.incompatRecover
        let roCompatIgnored = Self.roCompatLargeFile | Self.roCompatDirNlink
        return featureCompat != backup.featureCompat
            || featureIncompat & ~incompatIgnored != backup.featureIncompat & ~incompatIgnored
            || featureROCompat & ~roCompatIgnored != backup.featureROCompat & ~roCompatIgnored
            || u32(0x04) != backup.u32(0x04) || u32(0x150) != backup.u32(0x150)
            || u32(0x00) != backup.u32(0x00)
            || uuid != backup.uuid
    }
}

/// CRC32C (Castagnoli, reflected 0x82F63B78), the checksum ext4 uses for
/// metadata. Raw: no initial or final inversion, as the kernel's crc32c().
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    static func update(_ seed: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = seed
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc
    }
}
