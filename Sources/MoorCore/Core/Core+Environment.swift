#if canImport(Glibc)
import Glibc
#endif
import Logging

extension Core {
    /// The core as a node runs it: `MOOR_STATE_DIR` (default `/var/lib/moor`),
    /// the policy at `MOOR_POLICY` (default `/etc/moor/policy.json`, read
    /// when a decision needs it), the Linux mounter and the real command runner.
    /// Throws when `MOOR_STATE_DIR` is not a clean absolute path.
    public static func fromEnvironment(logger: Logger) throws -> Core {
        let runner = CommandRunner()
        let path = Policy.pathFromEnvironment
        return Core(state: try .fromEnvironment(), policySource: { try Policy.load(path: path) },
                    mounter: LinuxMounter(runner: runner), runner: runner, logger: logger)
    }
}
