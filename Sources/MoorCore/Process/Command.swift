/// One helper invocation: a program, its argv and a deadline. There is no
/// shell anywhere: arguments reach the program exactly as given.
public struct Command: Sendable, CustomStringConvertible {
    /// A bare program name (looked up in `CommandRunner.searchPath`) or an absolute path.
    public var program: String
    public var arguments: [String]
    public var timeout: Duration
    /// Arguments at these indices are replaced by `<redacted>` in `description`.
    public var sensitiveArguments: Set<Int> = []
    /// A root-only file to read as stdin (a password for `password_stdin`); else /dev/null.
    public var stdinFile: String?
    /// Send stdout and stderr to this file instead of pipes. For helpers that
    /// leave a daemon behind (FUSE): a daemon must never hold a pipe whose
    /// reader goes away, or its next write kills it with SIGPIPE.
    public var outputFile: String?
    /// Extra environment (`NAME=value`), on top of PATH and LC_ALL.
    public var environment: [String] = []

    public init(_ program: String, _ arguments: [String], timeout: Duration) {
        self.program = program
        self.arguments = arguments
        self.timeout = timeout
    }

    public var description: String {
        ([program] + arguments.enumerated().map { sensitiveArguments.contains($0.offset) ? "<redacted>" : $0.element })
            .joined(separator: " ")
    }
}

/// How a helper ended. A non-zero exit is a normal result, not an error.
public struct CommandResult: Sendable {
    /// The exit status, or 128 + signal number if it was killed.
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var duration: Duration

    public init(status: Int32, stdout: String = "", stderr: String = "", duration: Duration = .zero) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.duration = duration
    }

    public var succeeded: Bool { status == 0 }
}

/// A helper that could not run, or that failed when the caller needed success.
public struct HelperError: Error, CustomStringConvertible, Sendable {
    public var tool: String
    public var status: Int32?
    public var stderrTail: String
    public var timedOut: Bool

    public init(tool: String, status: Int32?, stderrTail: String, timedOut: Bool = false) {
        self.tool = tool
        self.status = status
        self.stderrTail = stderrTail
        self.timedOut = timedOut
    }

    public var description: String {
        if timedOut { return "\(tool) did not finish within its deadline and was killed" }
        let detail = stderrTail.isEmpty ? "" : ": \(stderrTail)"
        if let status { return "\(tool) failed with exit status \(status)\(detail)" }
        return "\(tool) could not be started\(detail)"
    }
}

extension CommandResult {
    /// Throws `HelperError` unless the helper exited 0.
    @discardableResult
    public func check(_ tool: String) throws(HelperError) -> CommandResult {
        guard succeeded else { throw HelperError(tool: tool, status: status, stderrTail: Self.tail(stderr.isEmpty ? stdout : stderr)) }
        return self
    }

    /// The last non-empty line, trimmed to a readable length.
    static func tail(_ text: String) -> String {
        // Split on scalars: a CRLF line end is one Character in Swift.
        let line = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .last(where: { !$0.allSatisfy(\.isWhitespace) }).map(String.init) ?? ""
        return line.count > 300 ? String(line.suffix(300)) : line
    }
}

/// Runs helpers. `CommandRunner` is the one production conformer; tests may
/// wrap it to inject hangs or failures.
public protocol CommandRunning: Sendable {
    /// Runs `command` to completion or its deadline. Throws `HelperError`
    /// if it cannot start or had to be killed; otherwise returns its status.
    func run(_ command: Command) throws(HelperError) -> CommandResult
}
