/// Commands for people. None of them shadows a kubelet call name.
enum HumanCommand {
    static let version = "0.1.0"

    static let usage = """
        moor \(version): a Kubernetes FlexVolume driver (driver name moor/moor).

        kubelet calls:
          moor init
          moor mount <mount dir> <json options>
          moor unmount <mount dir>
          (any other call answers {"status":"Not supported"})

        for people:
          moor version
          moor help

        environment:
          MOOR_STATE_DIR   state and staging mounts (default /var/lib/moor)
          MOOR_POLICY      admin policy (default /etc/moor/policy.json)
          MOOR_LOG         log file (default /var/log/moor/moor.log)
          MOOR_LOG_LEVEL   trace, debug, info (default), notice, warning, error
        """

    /// The text to print, or nil if `arguments` is not a human command.
    static func run(_ arguments: [String]) -> String? {
        switch arguments.first {
        case "version", "--version": return "moor \(version)"
        case "help", "--help", "-h", nil: return usage
        default: return nil
        }
    }
}
