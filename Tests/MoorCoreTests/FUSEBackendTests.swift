import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// What `FUSEBackend.stage` refuses from the policy, before any helper runs.
@Suite struct FUSEBackendTests {
    struct Node {
        let dir: TempDirectory
        let runner = ScriptedRunner([:])
        let backend: FUSEBackend

        init(_ policy: Policy) throws {
            dir = try TempDirectory()
            backend = FUSEBackend(node: NodeContext(state: StateDirectory(root: dir.path), policy: { policy }, runner: runner,
                                                    mounter: FakeMounter(), logger: Logger(label: "test")))
        }

        func stage(_ options: [String: String]) throws {
            _ = try backend.stage(VolumeDefinition.parse(options), at: dir.path + "/staging", deadline: Deadline(.seconds(5)))
        }
    }

    static let sshfs = ["type": "fuse", "helper": "sshfs", "source": "alice@127.0.0.1:/data"]

    static func error(_ body: () throws -> Void) -> MoorError? {
        do { try body(); return nil } catch { return MoorError.from(error) }
    }

    /// Any root-owned 0600 file used to pass, such as root's own key.
    @Test(arguments: ["sshKeyFile", "sshPasswordFile"])
    func aCredentialFileOutsideTheAllowedOnesIsRefusedBeforeAnythingRuns(key: String) throws {
        let node = try Node(Policy()); defer { node.dir.remove() }
        let error = try #require(Self.error { try node.stage(Self.sshfs.merging([key: "/root/.ssh/id_rsa"]) { $1 }) })
        #expect(error.kind == .forbidden)
        #expect(error.message.contains(key))
        #expect(error.message.contains("allowedCredentialFiles"))
        #expect(node.runner.commands.isEmpty, "sshfs never ran")
    }

    @Test func anAllowedCredentialFileMustStillBeRootsAndPrivate() throws {
        var policy = Policy()
        policy.allowedCredentialFiles = ["/etc/moor/keys/*"]
        let node = try Node(policy); defer { node.dir.remove() }
        let error = try #require(Self.error { try node.stage(Self.sshfs.merging(["sshKeyFile": "/etc/moor/keys/missing"]) { $1 }) })
        #expect(error.kind == .notFound)
        #expect(node.runner.commands.isEmpty)
        let outside = try #require(Self.error { try node.stage(Self.sshfs.merging(["sshKeyFile": "/etc/moor/other"]) { $1 }) })
        #expect(outside.message.contains("allowedCredentialFiles"))
    }

    @Test func anOtherHelpersOptionsOutsideThePolicyAreRefusedBeforeMountRuns() throws {
        var policy = Policy()
        policy.allowedFuseHelpers = ["rclone"]
        policy.fuseHelperOptions = ["rclone": ["vfs-cache-mode=*"]]
        let node = try Node(policy); defer { node.dir.remove() }
        let options = ["type": "fuse", "helper": "rclone", "source": "remote:bucket", "mountOptions": "config=/root/x"]
        let error = try #require(Self.error { try node.stage(options) })
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("'mountOptions'"))
        #expect(error.message.contains("found 'config'"))
        #expect(!error.message.contains("/root/x"))
        #expect(node.runner.commands.isEmpty, "mount never ran")

        var allowed = options
        allowed["mountOptions"] = "vfs-cache-mode=full"
        _ = Self.error { try node.stage(allowed) } // the scripted runner has no mount: it fails later
        // systemd-run may wrap the helper: look at the whole argv.
        let mount = try #require(node.runner.commands.first?.arguments)
        #expect(mount.contains { $0.contains("vfs-cache-mode=full") })
    }

    @Test func sshfsArgvHoldsMoorsOwnKnownHostsAndSshCommand() throws {
        let node = try Node(Policy()); defer { node.dir.remove() }
        _ = Self.error { try node.stage(Self.sshfs.merging(["mountOptions": "port=2222"]) { $1 }) }
        let argv = try #require(node.runner.commands.first?.arguments)
        let options = try #require(argv.last).split(separator: ",").map(String.init)
        #expect(options.contains("UserKnownHostsFile=\(node.dir.path)/credentials/known_hosts"))
        #expect(options.contains { $0.hasPrefix("ssh_command=ssh -E \(node.dir.path)/logs/") })
        #expect(options.contains("port=2222"))
    }
}
