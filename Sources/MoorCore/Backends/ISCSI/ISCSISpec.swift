/// One iSCSI LUN, attached by `ISCSIBackend`.
public struct ISCSISpec: Hashable, Sendable {
    public static let keys = ["type", "portal", "portals", "iqn", "lun", "chapUser", "chapSecret",
                              "discoveryChapUser", "discoveryChapSecret", "initiatorName", "iface",
                              "fsType", "mkfsOptions", "mountOptions", "readOnly", "uid", "gid", "mode", "timeout"]

    public var portals: [String]
    public var iqn: String
    public var lun: UInt32
    public var chapUser: Secret?
    public var chapSecret: Secret?
    public var discoveryChapUser: Secret?
    public var discoveryChapSecret: Secret?
    public var initiatorName: String?
    public var iface: String?
    public var fsType: String?
    public var mkfsOptions: [String]

    init(_ reader: inout OptionReader) throws(OptionError) {
        let portal = try reader.required("portal")
        var portals = [portal]
        if let more = reader.string("portals") {
            portals += more.split(separator: ",").map(String.init).filter { $0 != portal }
        }
        for p in portals where !Self.isPortal(p) {
            throw reader.error(p == portal ? "portal" : "portals", .malformed(expected: "host:port, e.g. 10.0.0.5:3260 or [fd00::5]:3260"))
        }
        self.portals = portals
        iqn = try reader.required("iqn")
        guard Self.isISCSIName(iqn) else { throw reader.error("iqn", .malformed(expected: Self.nameRule)) }
        lun = UInt32(try reader.integer("lun", in: 0...16383) ?? 0)
        chapUser = try Self.secretLine(&reader, "chapUser")
        chapSecret = try Self.secretLine(&reader, "chapSecret")
        if (chapUser == nil) != (chapSecret == nil) {
            throw reader.error(chapUser == nil ? "chapUser" : "chapSecret", .conflict("CHAP needs both chapUser and chapSecret"))
        }
        discoveryChapUser = try Self.secretLine(&reader, "discoveryChapUser")
        discoveryChapSecret = try Self.secretLine(&reader, "discoveryChapSecret")
        if (discoveryChapUser == nil) != (discoveryChapSecret == nil) {
            throw reader.error(discoveryChapUser == nil ? "discoveryChapUser" : "discoveryChapSecret",
                               .conflict("discovery CHAP needs both discoveryChapUser and discoveryChapSecret"))
        }
        initiatorName = reader.string("initiatorName")
        if let initiatorName, !Self.isISCSIName(initiatorName) {
            throw reader.error("initiatorName", .malformed(expected: Self.nameRule))
        }
        iface = reader.string("iface")
        if let iface, !Self.isIface(iface) {
            throw reader.error("iface", .malformed(expected: "an iscsiadm interface name of A-Za-z0-9_.:- (1 to 64), not starting with '.' or '-'"))
        }
        fsType = reader.string("fsType")
        if let fsType, !DiskSpec.fileSystems.contains(fsType) {
            throw reader.error("fsType", .malformed(expected: "one of \(DiskSpec.fileSystems.joined(separator: ", "))"))
        }
        mkfsOptions = try MkfsOptions.parse(reader.string("mkfsOptions"), fsType: fsType, reader)
    }

    /// `host:port`, an IPv6 host in brackets; the port 1-65535 in digits.
    static func isPortal(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return false }
        let host = String(text[..<colon]), port = text[text.index(after: colon)...]
        guard port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt16(port), number > 0 else { return false }
        return (host.hasPrefix("[") || !host.contains(":")) && HostName.isValid(host)
    }

    static let nameRule = "an iSCSI name: iqn.YYYY-MM.<reversed domain>[:<identifier>] in lowercase letters, digits, '.', '-' and ':' (such as iqn.2026-11.io.example:store1), eui. and 16 hex digits, or naa. and 16 or 32 hex digits; at most 223 bytes"

    /// RFC 3720 3.2.6.3 and RFC 3721: the three name formats, in the
    /// characters iscsiadm writes into its records unquoted.
    static func isISCSIName(_ name: String) -> Bool {
        guard name.utf8.count <= 223 else { return false }
        func hex(_ text: Substring, _ counts: [Int]) -> Bool { counts.contains(text.count) && text.allSatisfy { $0.isASCII && $0.isHexDigit } }
        if name.hasPrefix("eui.") { return hex(name.dropFirst(4), [16]) }
        if name.hasPrefix("naa.") { return hex(name.dropFirst(4), [16, 32]) }
        guard name.hasPrefix("iqn.") else { return false }
        let rest = Array(name.utf8.dropFirst(4))
        // YYYY-MM.
        guard rest.count > 8, rest[0..<4].allSatisfy(isDigit), rest[4] == UInt8(ascii: "-"),
              rest[5..<7].allSatisfy(isDigit), rest[7] == UInt8(ascii: ".") else { return false }
        let month = Int(rest[5] - 48) * 10 + Int(rest[6] - 48)
        guard (1...12).contains(month) else { return false }
        let authority = rest[8...].prefix { $0 != UInt8(ascii: ":") }
        guard let first = authority.first, isLowerOrDigit(first),
              authority.allSatisfy({ isLowerOrDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else { return false }
        return rest[8...].allSatisfy { isLowerOrDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ":") }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }
    private static func isLowerOrDigit(_ byte: UInt8) -> Bool { isDigit(byte) || (97...122).contains(byte) }

    /// iscsiadm names a file after the interface (`ifaces/<name>`): one
    /// plain component, never `.` or `..`.
    static func isIface(_ name: String) -> Bool {
        (1...64).contains(name.count) && !name.hasPrefix(".") && !name.hasPrefix("-")
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.:-".contains($0)) }
    }

    /// CHAP credentials go into iscsiadm's record files, one per line: a
    /// control character (a newline) would add a line of its own.
    static func secretLine(_ reader: inout OptionReader, _ key: String) throws(OptionError) -> Secret? {
        guard let secret = reader.secret(key) else { return nil }
        let clean = secret.withValue { value in !value.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } }
        guard clean else { throw reader.error(key, .malformed(expected: "a value without control characters such as newlines")) }
        return secret
    }
}
