import Foundation
import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// `FUSEBackend.stage` and `release` for sshfs with a `ScriptedRunner`
/// whose sshfs "mounts" into a `FakeMounter`: the argv, credential files
/// written 0600 and removed on release or failure.
@Suite struct FUSEBackendStageTests {
    static let password = "pw-0123456789"
    static let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----"

    struct Node {
        let dir: TempDirectory
        let runner = ScriptedRunner()
        let mounter = FakeMounter()
        let backend: FUSEBackend
        var staging: String { dir.path + "/staging/fuse" }

        /// sshfs (possibly under systemd-run) exits `status`, and mounts when it is 0.
        init(sshfs status: Int32 = 0) throws {
            dir = try TempDirectory()
            backend = FUSEBackend(node: NodeContext(state: StateDirectory(root: dir.path), policy: { Policy() }, runner: runner,
                                                    mounter: mounter, logger: Logger(label: "test")))
            let sshfs: ScriptedRunner.Answer = { [mounter] command in
                guard status == 0, let index = command.arguments.firstIndex(of: "-o") else {
                    return CommandResult(status: status, stderr: "read: Connection reset by peer")
                }
                let source = command.arguments[index - 2], target = command.arguments[index - 1]
                try? mounter.mount(MountRequest(source: source, target: target, kind: .fileSystem(type: "fuse.sshfs", options: MountOptionList())))
                return CommandResult(status: 0)
            }
            runner.on("sshfs", sshfs)
            runner.on("systemd-run", sshfs)
            runner.on("fusermount3") { [mounter] command in
                try? mounter.unmount(command.arguments.last!, mode: .normal)
                return CommandResult(status: 0)
            }
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        }

        func stage(secrets: [String: Secret]) throws -> StageResult {
            try backend.stage(VolumeDefinition.parse(["type": "fuse", "helper": "sshfs", "source": "alice@127.0.0.1:/data"], secrets: secrets),
                              at: staging, deadline: Deadline(.seconds(30)))
        }

        var mountCommand: Command? { runner.commands.first { $0.program == "sshfs" || $0.program == "systemd-run" } }
        var options: [String] { mountCommand?.arguments.last?.split(separator: ",").map(String.init) ?? [] }
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
    }

    @Test func aPasswordGoesToA0600FileReadAsStdin() throws {
        let node = try Node(); defer { node.dir.remove() }
        let result = try node.stage(secrets: ["sshPassword": Secret(Self.password)])
        let file = try #require(result.record.credentialFiles?.first)
        #expect(node.mountCommand?.stdinFile == file)
        #expect(Self.mode(file) == 0o600)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == Self.password + "\n")
        #expect(node.options.contains("password_stdin"))
        #expect(!node.runner.commands.contains { $0.arguments.joined(separator: " ").contains(Self.password) })
    }

    @Test func aKeyGoesToA0600IdentityFile() throws {
        let node = try Node(); defer { node.dir.remove() }
        let result = try node.stage(secrets: ["sshKey": Secret(Self.key)])
        let file = try #require(result.record.credentialFiles?.first)
        #expect(node.options.contains("IdentityFile=\(file)"))
        #expect(node.options.contains("BatchMode=yes"))
        #expect(Self.mode(file) == 0o600)
        #expect(!node.runner.commands.contains { $0.arguments.joined(separator: " ").contains("PRIVATE KEY") })
    }

    @Test func noKeyMeansNoKeyAtAll() throws {
        let node = try Node(); defer { node.dir.remove() }
        let result = try node.stage(secrets: [:])
        #expect((result.record.credentialFiles ?? []).isEmpty)
        #expect(node.options.contains("IdentityFile=/dev/null"))
        #expect(node.mountCommand.map { Array($0.arguments.suffix(4).prefix(2)) } == ["alice@127.0.0.1:/data", node.staging])
    }

    @Test func releaseUnmountsAndRemovesTheCredentialFiles() throws {
        let node = try Node(); defer { node.dir.remove() }
        let result = try node.stage(secrets: ["sshPassword": Secret(Self.password)])
        let file = try #require(result.record.credentialFiles?.first)
        try node.backend.release(at: node.staging, record: result.record, deadline: Deadline(.seconds(30)))
        #expect(node.runner.arguments(of: "fusermount3") == ["-u", node.staging])
        #expect(try !node.mounter.mountTable().isMountPoint(node.staging))
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test func aFailedMountLeavesNoCredentialFileAndNoSecretInTheError() throws {
        let node = try Node(sshfs: 1); defer { node.dir.remove() }
        let error = #expect(throws: MoorError.self) { _ = try node.stage(secrets: ["sshPassword": Secret(Self.password)]) }
        #expect(error?.message.contains("Connection reset by peer") == true)
        #expect(error?.message.contains(Self.password) == false)
        let credentials = (try? FileManager.default.contentsOfDirectory(atPath: node.dir.path + "/credentials")) ?? []
        #expect(!credentials.contains { $0.hasSuffix(".password") })
    }

    @Test func aHelperThePolicyRefusesRunsNothingAndWritesNothing() throws {
        let node = try Node(); defer { node.dir.remove() }
        let definition = try VolumeDefinition.parse(["type": "fuse", "helper": "rclone", "source": "remote:bucket"])
        let error = #expect(throws: MoorError.self) { _ = try node.backend.stage(definition, at: node.staging, deadline: Deadline(.seconds(30))) }
        #expect(error?.kind == .forbidden)
        #expect(node.runner.commands.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: node.dir.path + "/credentials"))
    }
}
