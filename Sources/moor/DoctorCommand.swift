import ArgumentParser
import MoorCore
import MoorDoctor

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this node for what each volume type needs, with one fix per problem.",
        discussion: """
            Reads the node and changes nothing (it only creates and removes one temp
            file in the state dir to prove it writable). Exit status: 0 when nothing
            is a problem (warnings do not count), 1 when any finding is a problem,
            64 for bad flags.
            """
    )

    @Flag(help: "Print the findings as one JSON document (keys sorted, `version` 1).")
    var json = false

    @Option(help: "kubelet's FlexVolume plugin dir (default: whichever of /usr/libexec/kubernetes/kubelet-plugins/volume/exec and <kubelet-dir>/volumeplugins holds moor).")
    var pluginDir: String?

    @Option(help: "moor's state dir (default MOOR_STATE_DIR, else /var/lib/moor).")
    var stateDir: String?

    @Option(help: "moord's socket (default /run/docker/plugins/moor.sock).")
    var dockerSocket: String?

    @Option(help: "moord's mount root (default <state-dir>/mounts).")
    var mountRoot: String?

    @Option(help: "kubelet's root dir (default /var/lib/kubelet).")
    var kubeletDir: String?

    func validate() throws {
        for (flag, path) in [("--plugin-dir", pluginDir), ("--state-dir", stateDir), ("--docker-socket", dockerSocket),
                             ("--mount-root", mountRoot), ("--kubelet-dir", kubeletDir)] {
            if let path, !PathCheck.isCleanAbsolute(path) { throw ValidationError("\(flag) must be a clean absolute path, not '\(path)'") }
        }
    }

    func run() throws {
        var settings = Doctor.Settings()
        settings.pluginDir = pluginDir
        settings.stateDir = stateDir
        settings.dockerPluginSocket = dockerSocket
        settings.mountRoot = mountRoot
        settings.kubeletDir = kubeletDir
        let report = Doctor.examine(settings)
        print(json ? report.json : report.text)
        if report.hasProblems { throw ExitCode(1) }
    }
}
