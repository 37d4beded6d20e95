/// A volume name that is safe to use as one path component under the state
/// dir: letters, digits, `_`, `.` and `-`, starting with a letter or digit,
/// at most 240 bytes (so `<name>.img` fits a file name). Path-like names (`..`, `a/b`, NUL) are refused, never mapped.
public struct VolumeName: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public static let maxLength = 240

    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= Self.maxLength else { return nil }
        let bytes = Array(text.utf8)
        func ok(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f || b == 0x2e || b == 0x2d
        }
        guard bytes.allSatisfy(ok), bytes[0] != 0x2e, bytes[0] != 0x2d, bytes[0] != 0x5f else { return nil }
        rawValue = text
    }

    public static let rule = "1 to 240 characters from [A-Za-z0-9_.-], starting with a letter or digit"

    public var description: String { rawValue }
    public static func < (a: VolumeName, b: VolumeName) -> Bool { a.rawValue < b.rawValue }
}
