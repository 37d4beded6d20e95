import ArgumentParser

/// The commands for people. kubelet's calls never reach this parser: `main`
/// routes only these verbs here, so a kubelet call name can't be shadowed.
struct MoorTool: ParsableCommand {
    static let version = "0.1.0"
    /// The verbs routed here (none also for help). A switch, not a `Set`:
    /// building a set on every kubelet call cost about 4% of a staged
    /// `moor mount` in the runtime's conformance lookups (perf, 2026-12-05).
    static func isHumanVerb(_ verb: String) -> Bool {
        switch verb {
        case "", "doctor", "version", "help", "--help", "-h", "--version": true
        default: false
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "moor",
        abstract: "A Kubernetes FlexVolume driver (driver name moor/moor) and tools for moving volumes to it.",
        discussion: """
            kubelet calls:
              moor init
              moor mount <mount dir> <json options>
              moor unmount <mount dir>
              (any other call answers {"status":"Not supported"})

            environment:
              MOOR_STATE_DIR   state and staging mounts (default /var/lib/moor)
              MOOR_POLICY      admin policy (default /etc/moor/policy.json)
              MOOR_LOG         log file (default /var/log/moor/moor.log)
              MOOR_LOG_LEVEL   trace, debug, info (default), notice, warning, error

            moor migrate ...   translates Docker and Kubernetes volume definitions
                               (runs the moor-migrate binary: moor migrate --help)
            """,
        version: "moor \(version)",
        subcommands: [DoctorCommand.self, Version.self]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print moor's version.")
    func run() { print("moor \(MoorTool.version)") }
}
