import MoorCore

/// `moor doctor`: checks a node for what each backend needs. It only reads
/// (and writes one temp file into the state dir to prove it writable): no
/// modprobe, no daemon started, nothing repaired.
public enum Doctor {
    /// Where to look. nil means the default kubelet, dockerd and moor use.
    public struct Settings: Sendable {
        /// kubelet's FlexVolume plugin dir (`--volume-plugin-dir`).
        public var pluginDir: String?
        /// moor's state dir; default `MOOR_STATE_DIR`, else /var/lib/moor.
        public var stateDir: String?
        /// moord's socket; default /run/docker/plugins/moor.sock.
        public var dockerPluginSocket: String?
        /// moord's mount root; default `<state dir>/mounts`.
        public var mountRoot: String?
        /// kubelet's root dir (`--root-dir`); default /var/lib/kubelet.
        public var kubeletDir: String?
        public init() {}
    }

    public static let defaultKubeletDir = "/var/lib/kubelet"

    public static func examine(_ settings: Settings) -> DoctorReport {
        let kernel = KernelSupport.current()
        let table = NodeFacts.mountTable()
        // A bad MOOR_STATE_DIR is the doors' error to report; doctor looks at the default.
        let state = settings.stateDir.map(StateDirectory.init(root:)) ?? (try? .fromEnvironment()) ?? StateDirectory(root: StateDirectory.defaultRoot)
        let kubeletDir = settings.kubeletDir ?? defaultKubeletDir
        let path = NodeFacts.environment("PATH")
        let propagation = PropagationCheck(table: table)

        var findings = HelperProgram.all.map { $0.check(path: path) }
        findings += KernelChecks(kernel: kernel).findings()
        findings += ISCSIDaemonCheck().findings()
        findings.append(PluginDirCheck(explicit: settings.pluginDir, kubeletDir: kubeletDir,
                                       ownExecutable: NodeFacts.ownExecutable(), table: table).finding())
        findings.append(propagation.check("kubernetes.mount-propagation", .kubernetes, directory: kubeletDir,
                                          whatIsIt: "kubelet's root dir", absent: "not a kubelet node"))
        findings.append(MoordCheck(socket: settings.dockerPluginSocket ?? MoordCheck.defaultSocket).finding())
        findings.append(propagation.check("docker.mount-propagation", .docker, directory: settings.mountRoot ?? state.root + "/mounts",
                                          whatIsIt: "moord's mount root", absent: "moord has not mounted a volume here yet"))
        findings += StateCheck(state: state, table: table).findings()
        return DoctorReport(kernel: kernel.release, findings: findings)
    }
}
