#if canImport(Glibc)
import Glibc
#endif
import Logging

extension Core {
    /// The core as a node runs it: `MOOR_STATE_DIR` (default `/var/lib/moor`),
    /// the policy at `MOOR_POLICY` (default `/etc/moor/policy.json`), the
    /// Linux mounter and the real command runner.
    public static func fromEnvironment(logger: Logger) throws -> Core {
        let policyPath = getenv("MOOR_POLICY").map { String(cString: $0) } ?? Policy.defaultPath
        let runner = CommandRunner()
        return Core(state: .fromEnvironment(), policy: try Policy.load(path: policyPath),
                    mounter: LinuxMounter(runner: runner), runner: runner, logger: logger)
    }
}
