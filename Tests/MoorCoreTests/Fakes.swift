import Synchronization
@testable import MoorCore

/// A `CommandRunning` that answers from a script keyed by program name and
/// records every command it was asked to run. A program missing from the
/// script fails as if it were not installed.
final class ScriptedRunner: CommandRunning {
    private let script: [String: CommandResult]
    private let log = Mutex<[Command]>([])

    init(_ script: [String: (status: Int32, stdout: String)]) {
        self.script = script.mapValues { CommandResult(status: $0.status, stdout: $0.stdout, stderr: "", duration: .zero) }
    }

    func run(_ command: Command) throws(HelperError) -> CommandResult {
        log.withLock { $0.append(command) }
        guard let result = script[command.program] else {
            throw HelperError(tool: command.program, status: nil, stderrTail: "not scripted")
        }
        return result
    }

    var commands: [Command] { log.withLock { $0 } }
    var programs: [String] { commands.map(\.program) }
    func arguments(of program: String) -> [String]? { commands.first { $0.program == program }?.arguments }
}

/// A `Mounter` that records mount requests and shows an empty mount table.
final class RecordingMounter: Mounter {
    private let log = Mutex<[MountRequest]>([])

    func mount(_ request: MountRequest) throws { log.withLock { $0.append(request) } }
    func unmount(_ target: String, mode: UnmountMode) throws {}
    func mountTable() throws -> MountTable { MountTable(entries: []) }

    var requests: [MountRequest] { log.withLock { $0 } }
}
