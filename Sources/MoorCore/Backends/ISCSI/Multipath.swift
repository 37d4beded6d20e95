/// A device-mapper multipath map, as the kernel shows it in sysfs.
public struct MultipathMap: Equatable, Sendable {
    /// The kernel's name for it, `dm-N`.
    public var kernelName: String
    /// The map's own name (`mpatha`, or the WWID): what `multipath -f` takes.
    public var name: String
    /// The path devices under it (`sdb`, `sdc`).
    public var paths: [String]

    public var device: String { "/dev/" + kernelName }
}

/// dm-multipath on this node, read from sysfs (`/sys/block/dm-N/dm/uuid`,
/// `dm/name`, `slaves`), never from `multipath -ll` text.
public enum Multipath {
    /// multipathd's control socket: abstract, the one its systemd socket unit
    /// names, and what `multipathd` commands connect to.
    static let socketName = "/org/kernel/linux/storage/multipathd"

    /// Whether multipathd answers on its socket. A stale pid file does not
    /// count; a socket-activated daemon is started by the connect, as intended.
    public static func daemonRunning() -> Bool { Sys.abstractSocketAccepts(socketName) }

    /// Every multipath map (device-mapper uuid `mpath-…`; kpartx partitions
    /// and LVM volumes have other prefixes).
    public static func maps() -> [MultipathMap] {
        let blocks = (try? Sys.listDirectory("/sys/block")) ?? []
        return blocks.filter { $0.hasPrefix("dm-") }.sorted().compactMap { kernelName -> MultipathMap? in
            let root = "/sys/block/" + kernelName
            guard let uuid = ISCSISessions.attribute(root + "/dm/uuid"), uuid.hasPrefix("mpath-"),
                  let name = ISCSISessions.attribute(root + "/dm/name") else { return nil }
            return MultipathMap(kernelName: kernelName, name: name, paths: ((try? Sys.listDirectory(root + "/slaves")) ?? []).sorted())
        }
    }

    /// The map whose paths include every one of `devices` (`/dev/sdb` or `sdb`).
    public static func map(over devices: [String]) -> MultipathMap? {
        let names = Set(devices.map(kernelName))
        guard !names.isEmpty else { return nil }
        return maps().first { names.isSubset(of: Set($0.paths)) }
    }

    /// Maps that hold any of `devices`.
    public static func maps(holdingAnyOf devices: [String]) -> [MultipathMap] {
        let names = Set(devices.map(kernelName))
        return maps().filter { !names.isDisjoint(with: $0.paths) }
    }

    static func kernelName(_ device: String) -> String {
        device.split(separator: "/").last.map(String.init) ?? device
    }
}
