/// Names one staging mount: a keyed digest of a backend source, including
/// the credentials the source was mounted with. The readable prefix helps a
/// person looking at `/var/lib/moor/staging`.
///
/// The digest is HMAC-SHA-256 under the node's own key (`NodeKey`),
/// truncated to 128 bits: nobody who writes a volume definition can make
/// two sources share a key (FNV-1a, used before, could be collided on
/// purpose, and a collision joins another tenant's staging mount), and a
/// weak password in a key cannot be guessed offline from a directory name.
public struct StagingKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Hex digits after the prefix.
    static let digestLength = 32
    /// The length keys had before they were keyed digests (FNV-1a, 64 bits):
    /// still recognised, so mounts staged by an older moor are released.
    static let legacyDigestLength = 16

    /// The result uses only `[A-Za-z0-9_.-]`. `source` holds every part of
    /// the identity, credentials included; it is never stored.
    public init(prefix: String, source: String, nodeKey: NodeKey) {
        rawValue = Self.readable(prefix) + "-" + SHA256.hex(SHA256.hmac(key: nodeKey.bytes, Array(source.utf8)).prefix(Self.digestLength / 2))
    }

    /// Accepts a directory name found under `staging/`, if it has the shape of a key.
    public init?(existing name: String) {
        guard let dash = name.lastIndex(of: "-"), !name.hasPrefix("."), !name.contains("/") else { return nil }
        let digest = name[name.index(after: dash)...]
        guard digest.count == Self.digestLength || digest.count == Self.legacyDigestLength,
              digest.allSatisfy(\.isHexDigit) else { return nil }
        rawValue = name
    }

    public var description: String { rawValue }

    /// A stable, path-safe name for something that is not secret and not a
    /// staging mount (a lock, an iSCSI interface): prefix plus 64 bits of
    /// SHA-256, the same on every node.
    public static func stableName(prefix: String, source: String) -> String {
        readable(prefix) + "-" + SHA256.hex(SHA256.hash(Array(source.utf8)).prefix(8))
    }

    static func readable(_ prefix: String) -> String {
        String(prefix.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" }.prefix(64))
    }
}
