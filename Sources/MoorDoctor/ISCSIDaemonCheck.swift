import MoorCore

/// Whether iscsid, which iscsiadm talks to for every login, is there: its
/// listening abstract socket (`@ISCSIADM_ABSTRACT_NAMESPACE`, from
/// `/proc/net/unix`) and its pid file. Never starts it.
struct ISCSIDaemonCheck {
    static let socketName = "@ISCSIADM_ABSTRACT_NAMESPACE"
    var procNetUnix = "/proc/net/unix"
    var pidFiles = ["/run/iscsid.pid", "/var/run/iscsid.pid"]
    var configFile = "/etc/iscsi/iscsid.conf"
    var initiatorNameFile = "/etc/iscsi/initiatorname.iscsi"

    /// Whether a socket named `name` is listening (flag `__SO_ACCEPTCON`,
    /// 0x10000) in a `/proc/net/unix` listing.
    static func isListening(_ name: String, in listing: String) -> Bool {
        listing.split(separator: "\n").dropFirst().contains { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, fields[7] == name, let flags = UInt32(fields[3], radix: 16) else { return false }
            return flags & 0x10000 != 0
        }
    }

    /// The pid in the first pid file whose process is an iscsid.
    func runningPID() -> Int? {
        for file in pidFiles {
            guard let text = try? Sys.readText(file),
                  let pid = Int(text.split(separator: "\n").first?.trimmingSpaces ?? ""),
                  let comm = try? Sys.readText("/proc/\(pid)/comm"), comm.hasPrefix("iscsid") else { continue }
            return pid
        }
        return nil
    }

    /// `iscsid.startup` from iscsid.conf: what iscsiadm runs when iscsid is not there.
    func startupCommand() -> String? {
        guard let text = try? Sys.readText(configFile) else { return nil }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingSpaces == "iscsid.startup" { return String(parts[1].trimmingSpaces) }
        }
        return nil
    }

    func findings() -> [Finding] {
        [daemon(), initiatorName()]
    }

    func daemon() -> Finding {
        let listening = Self.isListening(Self.socketName, in: (try? Sys.readText(procNetUnix)) ?? "")
        let pid = runningPID()
        if listening {
            return Finding("iscsi.iscsid-running", .iscsi, .ok,
                           found: "iscsid listens on \(Self.socketName)" + (pid.map { " (pid \($0))" } ?? " (socket-activated)"))
        }
        guard CommandRunner.resolve("iscsid") != nil else {
            return Finding("iscsi.iscsid-running", .iscsi, .problem, found: "iscsid is not running, and open-iscsi is not installed",
                           fix: "apt-get install open-iscsi")
        }
        let notRunning = pid.map { "iscsid (pid \($0)) does not listen on \(Self.socketName)" }
            ?? "iscsid is not running (nothing listens on \(Self.socketName))"
        // iscsiadm runs iscsid.startup when iscsid is not there; Debian's is a
        // systemctl call, which only helps where systemd is the init.
        if let startup = startupCommand(), !startup.isEmpty, !startup.contains("systemctl") || NodeFacts.systemdIsInit {
            return Finding("iscsi.iscsid-running", .iscsi, .warning,
                           found: notRunning + "; iscsiadm starts it on first use with '\(startup)'",
                           fix: NodeFacts.systemdIsInit ? "systemctl enable --now iscsid.socket" : "start it at boot: iscsid")
        }
        return Finding("iscsi.iscsid-running", .iscsi, .problem, found: notRunning,
                       fix: NodeFacts.systemdIsInit ? "systemctl enable --now iscsid.socket" : "start iscsid (and at every boot): iscsid")
    }

    /// iscsid refuses to log in without an initiator name.
    func initiatorName() -> Finding {
        let text = (try? Sys.readText(initiatorNameFile)) ?? ""
        let name = text.split(separator: "\n").lazy.filter { !$0.hasPrefix("#") }
            .compactMap { line -> Substring? in
                let parts = line.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0].trimmingSpaces == "InitiatorName" ? parts[1].trimmingSpaces : nil
            }.first
        if let name, !name.isEmpty {
            return Finding("iscsi.initiator-name", .iscsi, .ok, found: "initiator name \(name) (\(initiatorNameFile))")
        }
        return Finding("iscsi.initiator-name", .iscsi, .problem, found: "no InitiatorName in \(initiatorNameFile)",
                       fix: "echo \"InitiatorName=$(iscsi-iname)\" > \(initiatorNameFile)")
    }
}
