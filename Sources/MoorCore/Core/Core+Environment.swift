#if canImport(Glibc)
import Glibc
#endif
import Logging

extension Core {
    /// The core as a node runs it: `MOOR_STATE_DIR` (default `/var/lib/moor`),
    /// the policy at `MOOR_POLICY` (default `/etc/moor/policy.json`), the
    /// Linux mounter and the real command runner.
    ///
    /// Releasing a volume needs no policy, so `loadPolicy: false` keeps a
    /// broken policy file from blocking every unmount (and pods in Terminating).
    public static func fromEnvironment(logger: Logger, loadPolicy: Bool = true) throws -> Core {
        let runner = CommandRunner()
        let policy = loadPolicy ? try Policy.load(path: Policy.pathFromEnvironment) : Policy()
        return Core(state: .fromEnvironment(), policy: policy, mounter: LinuxMounter(runner: runner), runner: runner, logger: logger)
    }
}
