import FoundationEssentials

/// A named volume as a front door defined it (`docker volume create`):
/// its options, when it was created, and which consumers hold it (Docker's
/// Mount IDs, as a multiset). One root-only file per volume, written
/// atomically, so a crash loses no definition.
public struct VolumeRecord: Codable, Equatable, Sendable {
    public var version = 1
    public var name: String
    /// The options in moor's vocabulary (local-driver options already
    /// translated), without credentials: those live in the volume's own
    /// credentials file (`VolumeCredentials`).
    public var options: [String: String]
    /// RFC 3339, UTC.
    public var createdAt: String
    /// Mount ID → how many times it is mounted (`docker cp` reuses a running container's ID).
    public var mountIDs: [String: Int]

    public init(name: String, options: [String: String], createdAt: String, mountIDs: [String: Int] = [:]) {
        self.name = name
        self.options = options
        self.createdAt = createdAt
        self.mountIDs = mountIDs
    }

    public var references: Int { mountIDs.values.reduce(0, +) }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    static func decode(_ bytes: [UInt8]) throws -> VolumeRecord {
        try JSONDecoder().decode(VolumeRecord.self, from: Data(bytes))
    }
}

/// The current time as RFC 3339 (`2026-11-23T19:27:19Z`).
public func rfc3339Now() -> String {
    Date.now.formatted(.iso8601)
}
