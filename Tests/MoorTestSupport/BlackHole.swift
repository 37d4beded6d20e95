import Foundation

/// An address where every packet vanishes: a network namespace of the
/// test's own behind a veth pair, whose end inside drops all input
/// (iptables, in that namespace only). A TCP connect to it waits for an
/// answer that never comes, as with a dead or firewalled server. Nothing
/// leaves this machine: the address is on the veth link alone.
public final class BlackHole: @unchecked Sendable {
    public let namespace: String
    /// The namespace's address, e.g. 10.251.12.34.
    public let address: String
    private let outer: String

    public init() throws {
        let pid = Int(getpid())
        namespace = "moor-bh-\(pid)"
        outer = "mbh\(pid)a"
        let inner = "mbh\(pid)b"
        // A /30 of 10.251.0.0/16 chosen by pid, so test processes that run
        // at the same time do not share one.
        let block = (pid % 16_384) * 4
        let prefix = "10.251.\(block / 256)."
        let host = prefix + "\(block % 256 + 1)"
        address = prefix + "\(block % 256 + 2)"
        Self.remove(namespace: namespace, link: outer)
        let (ns, link) = (namespace, outer)
        AtExit.register { Self.remove(namespace: ns, link: link) }
        let ip = "/usr/sbin/ip"
        try Shell.run(ip, ["netns", "add", namespace])
        try Shell.run(ip, ["link", "add", outer, "type", "veth", "peer", "name", inner])
        try Shell.run(ip, ["link", "set", inner, "netns", namespace])
        try Shell.run(ip, ["addr", "add", host + "/30", "dev", outer])
        try Shell.run(ip, ["link", "set", outer, "up"])
        try Shell.run(ip, ["-n", namespace, "addr", "add", address + "/30", "dev", inner])
        try Shell.run(ip, ["-n", namespace, "link", "set", inner, "up"])
        // Dropped rather than refused: no RST, no ICMP, so a client waits.
        try Shell.run(ip, ["netns", "exec", namespace, "/usr/sbin/iptables", "-w", "-A", "INPUT", "-j", "DROP"])
    }

    /// Whether this node can make one (root, iproute2, iptables); always
    /// true in CI, so a missing tool fails the run instead of skipping it.
    public static var isAvailable: Bool {
        Node.isCI || getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables")
    }

    /// Deletes the namespace (and with it both ends of the veth pair). Safe to call twice.
    public func tearDown() { Self.remove(namespace: namespace, link: outer) }

    static func remove(namespace: String, link: String) {
        _ = try? Shell.run("/usr/sbin/ip", ["netns", "delete", namespace])
        _ = try? Shell.run("/usr/sbin/ip", ["link", "delete", link])
    }
}
