import MoorCore
import Synchronization

/// A `CommandRunning` that answers from a script keyed by program name and
/// records every command it was asked to run. A program missing from the
/// script fails as if it were not installed (`HelperError` with no status).
public final class ScriptedRunner: CommandRunning {
    /// Answers one command; may look at its arguments (e.g. `mount`'s
    /// target or `blkid`'s device) to vary the reply.
    public typealias Answer = @Sendable (Command) -> CommandResult

    private let script: Mutex<[String: Answer]>
    private let log = Mutex<[Command]>([])

    /// A runner whose programs always exit with `status` and print `stdout`.
    public init(_ script: [String: (status: Int32, stdout: String)] = [:]) {
        self.script = Mutex(script.mapValues { reply in { _ in CommandResult(status: reply.status, stdout: reply.stdout) } })
    }

    /// Scripts `program` with a closure, replacing any earlier answer.
    public func on(_ program: String, _ answer: @escaping Answer) {
        script.withLock { $0[program] = answer }
    }

    /// Scripts `program` to exit with `status`, printing `stdout` and `stderr`.
    public func on(_ program: String, status: Int32, stdout: String = "", stderr: String = "") {
        on(program) { _ in CommandResult(status: status, stdout: stdout, stderr: stderr) }
    }

    public func run(_ command: Command) throws(HelperError) -> CommandResult {
        log.withLock { $0.append(command) }
        guard let answer = script.withLock({ $0[command.program] }) else {
            throw HelperError(tool: command.program, status: nil, stderrTail: "not scripted")
        }
        return answer(command)
    }

    /// Every command run, in order.
    public var commands: [Command] { log.withLock { $0 } }
    /// The program of every command run, in order.
    public var programs: [String] { commands.map(\.program) }
    /// The arguments of the first run of `program`, or nil if it never ran.
    public func arguments(of program: String) -> [String]? { commands.first { $0.program == program }?.arguments }
    /// The arguments of every run of `program`, in order.
    public func allArguments(of program: String) -> [[String]] { commands.filter { $0.program == program }.map(\.arguments) }
}
