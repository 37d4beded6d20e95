/// iSCSI sessions as the kernel reports them in sysfs, the same files
/// open-iscsi's libopeniscsiusr reads (`/sys/class/iscsi_session`,
/// `/sys/class/iscsi_connection`, `/sys/class/scsi_host`). Read directly
/// rather than through libopeniscsiusr: Debian ships that library only as a
/// shared object, which a fully static `moor` cannot link.
public struct ISCSISession: Equatable, Sendable {
    public var id: Int
    public var targetName: String
    /// `address:port` of the connection, as the kernel reports it.
    public var portals: [String]
    /// The SCSI host number the session's LUNs appear under.
    public var host: Int?
}

public enum ISCSISessions {
    static let sessionRoot = "/sys/class/iscsi_session"

    /// Every logged-in session on the node.
    public static func all() -> [ISCSISession] {
        let names = (try? Sys.listDirectory(sessionRoot)) ?? []
        return names.compactMap { name -> ISCSISession? in
            guard name.hasPrefix("session"), let id = Int(name.dropFirst("session".count)),
                  let target = attribute(sessionRoot + "/" + name + "/targetname") else { return nil }
            return ISCSISession(id: id, targetName: target, portals: portals(of: id), host: host(of: name))
        }.sorted { $0.id < $1.id }
    }

    /// Sessions to `iqn` through `portal` (any portal if nil).
    public static func sessions(to iqn: String, portal: String? = nil) -> [ISCSISession] {
        all().filter { $0.targetName == iqn && (portal == nil || $0.portals.contains(portal!)) }
    }

    /// The connections' addresses: persistent_address:persistent_port, and address:port.
    static func portals(of session: Int) -> [String] {
        let root = "/sys/class/iscsi_connection"
        let names = (try? Sys.listDirectory(root)) ?? []
        var result: [String] = []
        for name in names where name.hasPrefix("connection\(session):") {
            for (address, port) in [("persistent_address", "persistent_port"), ("address", "port")] {
                if let a = attribute(root + "/" + name + "/" + address), let p = attribute(root + "/" + name + "/" + port) {
                    let portal = (a.contains(":") ? "[\(a)]" : a) + ":" + p
                    if !result.contains(portal) { result.append(portal) }
                }
            }
        }
        return result
    }

    /// hostN from the session's sysfs path (…/hostN/sessionM/iscsi_session/sessionM).
    static func host(of sessionName: String) -> Int? {
        guard let path = try? Sys.realpath(sessionRoot + "/" + sessionName) else { return nil }
        return path.split(separator: "/").first { $0.hasPrefix("host") }.flatMap { Int($0.dropFirst(4)) }
    }

    /// The block devices (`sdX`) of LUN `lun` on SCSI host `host`.
    public static func blockDevices(host: Int, lun: UInt32) -> [String] {
        let root = "/sys/class/scsi_device"
        let names = (try? Sys.listDirectory(root)) ?? []
        return names.filter { name in
            let parts = name.split(separator: ":")
            return parts.count == 4 && Int(parts[0]) == host && UInt32(parts[3]) == lun
        }.flatMap { name in ((try? Sys.listDirectory(root + "/" + name + "/device/block")) ?? []).map { "/dev/" + $0 } }
    }

    static func attribute(_ path: String) -> String? {
        guard let text = try? Sys.readText(path) else { return nil }
        let value = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return value.isEmpty || value == "(null)" ? nil : value
    }
}
