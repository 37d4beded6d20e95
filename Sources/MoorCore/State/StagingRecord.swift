import FoundationEssentials

/// What the kernel cannot tell about a staging mount, written when it is
/// staged and removed when it is released: which source it is, and what
/// release must undo (a loop device to detach). Versioned for upgrades.
public struct StagingRecord: Codable, Equatable, Sendable {
    public var version = 1
    public var type: VolumeType
    /// A human-readable source, never a secret (`disk file data.img`, `device /dev/sdb`).
    public var source: String
    /// The block device mounted at the staging path, if any.
    public var device: String?
    /// A loop device moor attached and must detach on release.
    public var loopBackingFile: String?
    /// Root-only credential files written for this mount, removed on release.
    public var credentialFiles: [String]?
    /// The iSCSI target, portals and LUN behind the device, for release.
    public var iscsiTarget: String?
    public var iscsiPortals: [String]?
    public var iscsiLUN: UInt32?
    /// The dm-multipath map mounted instead of one path, flushed on release.
    public var multipathMap: String?

    public init(type: VolumeType, source: String, device: String? = nil, loopBackingFile: String? = nil, credentialFiles: [String]? = nil) {
        self.type = type
        self.source = source
        self.device = device
        self.loopBackingFile = loopBackingFile
        self.credentialFiles = credentialFiles
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    static func load(_ path: String) -> StagingRecord? {
        guard let bytes = try? Sys.readFile(path, limit: 1 << 20) else { return nil }
        return try? JSONDecoder().decode(StagingRecord.self, from: Data(bytes))
    }
}
