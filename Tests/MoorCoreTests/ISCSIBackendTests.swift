import Logging
import MoorTestSupport
import Testing
@testable import MoorCore

/// `ISCSIBackend.attach` with a `ScriptedRunner` for iscsiadm: the argv
/// sequence, and the CHAP secret kept to node-record update values (never
/// in a description or an error). No session ever appears in sysfs here,
/// so a login that succeeds ends in a timeout after the sequence ran.
@Suite(.timeLimit(.minutes(1))) struct ISCSIBackendTests {
    static let iqn = "iqn.2025-01.test.example:target1"
    static let portal = "10.0.0.5:3260"
    static let secret = "chap-secret-0123456789"

    struct Node {
        let dir: TempDirectory
        let runner = ScriptedRunner()
        let backend: ISCSIBackend

        /// iscsiadm exits 0 and discovery offers the target, unless `status` says otherwise for an argv.
        init(status: @escaping @Sendable ([String]) -> Int32 = { _ in 0 }) throws {
            dir = try TempDirectory()
            backend = ISCSIBackend(node: NodeContext(state: StateDirectory(root: dir.path), policy: { Policy() }, runner: runner,
                                                     mounter: FakeMounter(), logger: Logger(label: "test")))
            runner.on("iscsiadm") { command in
                let discovered = command.arguments.contains("--discover") ? "\(ISCSIBackendTests.portal),1 \(ISCSIBackendTests.iqn)\n" : ""
                return CommandResult(status: status(command.arguments), stdout: discovered)
            }
        }

        func attach(_ options: [String: String] = [:], secrets: [String: Secret] = [:]) throws -> Int {
            let definition = try VolumeDefinition.parse(["type": "iscsi", "portal": ISCSIBackendTests.portal, "iqn": ISCSIBackendTests.iqn,
                                                         "lun": "1"].merging(options) { $1 }, secrets: secrets)
            guard case .iscsi(let spec) = definition.spec else { throw MoorError(.system, "not iscsi") }
            return try backend.attach(spec, portal: ISCSIBackendTests.portal, timeout: .seconds(30), deadline: Deadline(.milliseconds(300)))
        }

        /// The `-n` field of every update, in order.
        var updatedFields: [String] {
            runner.allArguments(of: "iscsiadm").compactMap { args in args.firstIndex(of: "-n").map { args[$0 + 1] } }
        }
    }

    static func error(_ body: () throws -> Void) -> MoorError? {
        do { try body(); return nil } catch { return MoorError.from(error) }
    }

    @Test func loginDiscoversThenWritesTheNodeRecordThenLogsIn() throws {
        let node = try Node(); defer { node.dir.remove() }
        let error = Self.error { _ = try node.attach() }
        #expect(error?.kind == .timedOut, "no session appears in sysfs")
        let calls = node.runner.allArguments(of: "iscsiadm")
        let nodeRecord = ["-m", "node", "-T", Self.iqn, "-p", Self.portal]
        #expect(calls.first == ["-m", "discoverydb", "-t", "sendtargets", "-p", Self.portal, "-o", "new"])
        #expect(calls.dropFirst().first == ["-m", "discoverydb", "-t", "sendtargets", "-p", Self.portal, "--discover"])
        #expect(node.updatedFields == ["node.session.scan", "node.startup", "node.conn[0].timeo.login_timeout",
                                       "node.session.initial_login_retry_max", "node.session.timeo.replacement_timeout"])
        #expect(calls.last == nodeRecord + ["--login"])
        #expect(calls.filter { $0.starts(with: nodeRecord) && $0.contains("update") }.count == 5)
    }

    @Test func theCHAPSecretIsOnlyANodeRecordUpdateValue() throws {
        let node = try Node(); defer { node.dir.remove() }
        _ = Self.error { _ = try node.attach(["chapUser": "alice"], secrets: ["chapSecret": Secret(Self.secret)]) }
        let holding = node.runner.commands.filter { $0.arguments.contains(Self.secret) }
        #expect(holding.count == 1)
        let command = try #require(holding.first)
        #expect(Array(command.arguments.suffix(4)) == ["-n", "node.session.auth.password", "-v", Self.secret])
        #expect(command.sensitiveArguments == [command.arguments.count - 1], "redacted in its description")
        #expect(!node.runner.commands.contains { $0.description.contains(Self.secret) })
        #expect(node.updatedFields.suffix(3) == ["node.session.auth.authmethod", "node.session.auth.username", "node.session.auth.password"])
    }

    @Test func aRefusedCHAPLoginIsForbiddenWithoutTheSecretAndLeavesNoRecord() throws {
        let node = try Node(status: { $0.last == "--login" ? 24 : 0 }); defer { node.dir.remove() }
        let error = try #require(Self.error { _ = try node.attach(["chapUser": "alice"], secrets: ["chapSecret": Secret(Self.secret)]) })
        #expect(error.kind == .forbidden)
        #expect(error.message.contains("CHAP authentication failed"))
        #expect(!error.message.contains(Self.secret))
        let calls = node.runner.allArguments(of: "iscsiadm")
        let nodeRecord = ["-m", "node", "-T", Self.iqn, "-p", Self.portal]
        #expect(calls.contains(nodeRecord + ["--logout"]))
        #expect(calls.contains(nodeRecord + ["-o", "delete"]), "the node record holding the secret is deleted")
    }

    @Test func aFailedSecretUpdateNamesTheFieldButNotTheValue() throws {
        let node = try Node(status: { $0.contains(ISCSIBackendTests.secret) ? 1 : 0 }); defer { node.dir.remove() }
        let error = try #require(Self.error { _ = try node.attach(["chapUser": "alice"], secrets: ["chapSecret": Secret(Self.secret)]) })
        #expect(error.message.contains("node.session.auth.password"))
        #expect(!error.message.contains(Self.secret))
        #expect(!node.runner.allArguments(of: "iscsiadm").contains { $0.last == "--login" }, "no login after a failed update")
    }

    @Test func aPortalThatDoesNotOfferTheTargetIsNotFoundAndNothingLogsIn() throws {
        let node = try Node(); defer { node.dir.remove() }
        node.runner.on("iscsiadm") { _ in CommandResult(status: 0, stdout: "10.0.0.5:3260,1 iqn.2025-01.test.example:other\n") }
        let error = try #require(Self.error { _ = try node.attach() })
        #expect(error.kind == .notFound)
        let calls = node.runner.allArguments(of: "iscsiadm")
        #expect(!calls.contains { $0.contains("--login") })
        #expect(calls.last == ["-m", "discoverydb", "-t", "sendtargets", "-p", Self.portal, "-o", "delete"])
    }

    @Test func otherCredentialsMakeAnotherStagingKey() throws {
        let node = try Node(); defer { node.dir.remove() }
        func key(_ secret: String?) throws -> StagingKey {
            let options = ["type": "iscsi", "portal": Self.portal, "iqn": Self.iqn, "lun": "1"]
            let secrets = secret.map { ["chapSecret": Secret($0)] } ?? [:]
            return try node.backend.stagingKey(for: VolumeDefinition.parse(secret == nil ? options : options.merging(["chapUser": "alice"]) { $1 },
                                                                            secrets: secrets))
        }
        #expect(try key("a") != key("b"))
        #expect(try key(nil) != key("a"))
        #expect(try key("a") == key("a"))
    }
}
