/// Whether moord, the Docker volume plugin, answers on its socket.
struct MoordCheck {
    static let defaultSocket = "/run/docker/plugins/moor.sock"
    let socket: String

    func finding() -> Finding {
        let id = "docker.moord"
        let start = "start moord: systemctl enable --now moord.socket (install/install-moord.sh installs the units), or moord --socket \(socket)"
        switch PluginSocketProbe(path: socket).probe() {
        case .answered:
            return Finding(id, .docker, .ok, found: "moord answers on \(socket) (Plugin.Activate: VolumeDriver)")
        case .noSocket:
            let docker = NodeFacts.exists("/run/docker.sock") || NodeFacts.exists("/var/run/docker.sock")
            return Finding(id, .docker, .warning,
                           found: "moord is not running: no socket at \(socket)" + (docker ? "" : " (and no dockerd socket at /run/docker.sock)"),
                           fix: start)
        case .notASocket:
            return Finding(id, .docker, .problem, found: "\(socket) exists but is not a socket",
                           fix: "remove it (rm \(socket)) and \(start)")
        case .refused(let reason):
            return Finding(id, .docker, .problem,
                           found: "nobody answers on \(socket) (\(reason)): moord stopped without removing its socket, or is stuck",
                           fix: "restart moord (systemctl restart moord), or remove the stale socket: rm \(socket)")
        case .timedOut:
            return Finding(id, .docker, .problem, found: "moord did not answer Plugin.Activate on \(socket) within 2 s",
                           fix: "look at moord's log (journalctl -u moord) and restart it (systemctl restart moord)")
        case .wrongAnswer(let what):
            return Finding(id, .docker, .problem, found: "\(socket) answered Plugin.Activate, but not as a volume plugin: \(what)",
                           fix: "check which program listens on \(socket) and start moord there")
        }
    }
}
