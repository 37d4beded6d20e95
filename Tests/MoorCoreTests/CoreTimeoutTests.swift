import Foundation
import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// Whoever writes a volume sets its `timeout`; the node policy's
/// `maxTimeout` caps it when the volume is published.
@Suite struct CoreTimeoutTests {
    /// The ConnectTimeout moor gives sshfs is the publish deadline's budget (at most 60).
    static func connectTimeout(maxTimeout: Int, timeout: String) throws -> String? {
        let dir = try TempDirectory(); defer { dir.remove() }
        var policy = Policy()
        policy.maxTimeout = maxTimeout
        let runner = ScriptedRunner([:])
        let core = Core(state: StateDirectory(root: dir.path + "/state"), policy: policy, mounter: FakeMounter(),
                        runner: runner, logger: Logger(label: "test"))
        let target = dir.path + "/consumer"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let definition = try VolumeDefinition.parse(["type": "fuse", "helper": "sshfs", "source": "alice@127.0.0.1:/data", "timeout": timeout])
        #expect(throws: (any Error).self) { try core.publish(definition, to: .init(target: target)) } // no sshfs is scripted
        // systemd-run may wrap sshfs: the options are the last argument either way.
        let options = runner.commands.first?.arguments.last?.split(separator: ",") ?? []
        return options.first { $0.hasPrefix("ConnectTimeout=") }.map(String.init)
    }

    @Test func aTimeoutAboveThePolicysMaxTimeoutIsCutToIt() throws {
        #expect(try Self.connectTimeout(maxTimeout: 5, timeout: "3600") == "ConnectTimeout=5")
    }

    @Test func aTimeoutWithinMaxTimeoutIsKept() throws {
        #expect(try Self.connectTimeout(maxTimeout: 120, timeout: "7") == "ConnectTimeout=7")
    }
}
