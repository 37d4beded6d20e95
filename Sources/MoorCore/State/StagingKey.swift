/// Names one staging mount: a stable, path-safe digest of a backend source.
/// The readable prefix helps a person looking at `/var/lib/moor/staging`.
public struct StagingKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The result uses only `[A-Za-z0-9_.-]`.
    public init(prefix: String, source: String) {
        let readable = String(prefix.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" }.prefix(64))
        rawValue = readable + "-" + Self.fnv1a64(source)
    }

    /// Accepts a directory name found under `staging/`, if it has the shape of a key.
    public init?(existing name: String) {
        guard let dash = name.lastIndex(of: "-"), name[name.index(after: dash)...].count == 16,
              !name.hasPrefix("."), !name.contains("/") else { return nil }
        rawValue = name
    }

    public var description: String { rawValue }

    /// FNV-1a, 64 bits, as 16 hex digits: stable across runs and builds
    /// (unlike `Hasher`), and enough to tell a node's sources apart.
    static func fnv1a64(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
