import Foundation
import Logging
import MoorTestSupport
@testable import MoorCore

/// A `bind` volume of a host directory in a temp dir, published through a
/// `FakeMounter`: the core's real code paths (openat walks, locks, state
/// files) run unprivileged, and only mount(2) is faked.
struct BindFixture {
    let dir: TempDirectory
    let mounter = FakeMounter.host()
    let runner = ScriptedRunner()
    var core: Core
    let host: String
    let definition: VolumeDefinition

    init() throws {
        dir = try TempDirectory()
        host = try dir.directory("host")
        var policy = Policy()
        policy.allowedHostPaths = [host]
        core = Core(state: StateDirectory(root: dir.path + "/state"), policy: policy, mounter: mounter,
                    runner: runner, logger: Logger(label: "test"))
        definition = try VolumeDefinition.parse(["type": "bind", "path": host])
    }

    func remove() { dir.remove() }

    /// A new consumer directory (a pod's volume dir).
    func consumer(_ name: String) throws -> String { try dir.directory("pods/" + name) }

    var key: StagingKey { get throws { try core.backend(for: .bind).stagingKey(for: definition) } }
    var staging: String { get throws { core.state.stagingPath(try key) } }

    /// Mounts in moor's staging area.
    var stagingMounts: [MountEntry] { mounter.entries.filter { $0.mountPoint.hasPrefix(core.state.stagingRoot + "/") } }

    /// Whether the table shows a mount at `path`.
    func isMounted(_ path: String) -> Bool { mounter.entries.contains { $0.mountPoint == path } }

    var consumerCount: Int { get throws { core.consumers(of: try key, in: try mounter.mountTable()).count } }
}
