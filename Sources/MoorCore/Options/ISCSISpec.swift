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
            throw reader.error(p == portal ? "portal" : "portals", .malformed(expected: "host:port, e.g. 10.0.0.5:3260"))
        }
        self.portals = portals
        iqn = try reader.required("iqn")
        guard iqn.hasPrefix("iqn.") || iqn.hasPrefix("eui.") || iqn.hasPrefix("naa."),
              iqn.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else {
            throw reader.error("iqn", .malformed(expected: "an iSCSI name such as iqn.2026-11.io.example:store1"))
        }
        lun = UInt32(try reader.integer("lun", in: 0...16383) ?? 0)
        chapUser = reader.secret("chapUser")
        chapSecret = reader.secret("chapSecret")
        if (chapUser == nil) != (chapSecret == nil) {
            throw reader.error(chapUser == nil ? "chapUser" : "chapSecret", .conflict("CHAP needs both chapUser and chapSecret"))
        }
        discoveryChapUser = reader.secret("discoveryChapUser")
        discoveryChapSecret = reader.secret("discoveryChapSecret")
        if (discoveryChapUser == nil) != (discoveryChapSecret == nil) {
            throw reader.error(discoveryChapUser == nil ? "discoveryChapUser" : "discoveryChapSecret",
                               .conflict("discovery CHAP needs both discoveryChapUser and discoveryChapSecret"))
        }
        initiatorName = reader.string("initiatorName")
        iface = reader.string("iface")
        fsType = reader.string("fsType")
        if let fsType, !DiskSpec.fileSystems.contains(fsType) {
            throw reader.error("fsType", .malformed(expected: "one of \(DiskSpec.fileSystems.joined(separator: ", "))"))
        }
        mkfsOptions = try DiskSpec.parseMkfsOptions(reader.string("mkfsOptions"), reader)
    }

    static func isPortal(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return false }
        let host = String(text[..<colon]), port = text[text.index(after: colon)...]
        guard let number = UInt16(port), number > 0 else { return false }
        return HostName.isValid(host)
    }
}
