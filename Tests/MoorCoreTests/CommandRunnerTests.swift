import Foundation
import MoorTestSupport
import Testing
@testable import MoorCore

/// Real processes through the production runner.
@Suite(.timeLimit(.minutes(1)))
struct CommandRunnerTests {
    let runner = CommandRunner()

    func sh(_ script: String, _ arguments: [String] = [], timeout: Duration = .seconds(10)) throws(HelperError) -> CommandResult {
        try runner.run(Command("/bin/sh", ["-c", script, "sh"] + arguments, timeout: timeout))
    }

    /// True once `pid` no longer runs (gone, a zombie waiting for init, or a recycled pid).
    static func isGone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) == -1 && errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let comm = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
        let state = stat[stat.index(close, offsetBy: 2)]
        return comm != "sleep" || state == "Z" || state == "X"
    }

    static func waitUntilGone(_ pid: pid_t, within limit: Duration) -> Bool {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if isGone(pid) { return true }
            usleep(20_000)
        }
        return isGone(pid)
    }

    /// Kills a `sleep` this test started, if it still runs.
    static func cleanUp(_ pid: pid_t?) {
        if let pid, !isGone(pid) { kill(pid, SIGKILL) }
    }

    static func readPID(_ path: String) -> pid_t? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func nonZeroExitIsReturnedNotThrown() throws {
        let result = try sh("exit 3")
        #expect(result.status == 3)
        #expect(!result.succeeded)
    }

    @Test func stdoutAndStderrAreCapturedSeparately() throws {
        let result = try sh("echo out; echo err >&2; echo more-out")
        #expect(result.status == 0)
        #expect(result.stdout == "out\nmore-out\n")
        #expect(result.stderr == "err\n")
    }

    @Test func argumentsReachTheProgramUnchanged() throws {
        let tricky = ["a b", "$HOME", "*", "'q'", "semi;colon", ""]
        let result = try sh(#"for a in "$@"; do printf '[%s]' "$a"; done"#, tricky)
        #expect(result.stdout == "[a b][$HOME][*]['q'][semi;colon][]")
    }

    @Test func killedHelperReportsTheSignal() throws {
        #expect(try sh("kill -9 $$").status == 128 + 9)
    }

    @Test func stdinIsDevNull() throws {
        let start = ContinuousClock.now
        let result = try runner.run(Command("cat", [], timeout: .seconds(10)))
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(result.status == 0)
        #expect(result.stdout == "")
        #expect(try runner.run(Command("readlink", ["/proc/self/fd/0"], timeout: .seconds(10))).stdout == "/dev/null\n")
    }

    @Test func noOtherDescriptorIsInherited() throws {
        // ls opens the directory itself as fd 3; anything more was leaked.
        let result = try runner.run(Command("ls", ["/proc/self/fd"], timeout: .seconds(10)))
        #expect(result.stdout == "0\n1\n2\n3\n")
    }

    @Test func environmentIsFixedPathAndCLocale() throws {
        let result = try runner.run(Command("env", [], timeout: .seconds(10)))
        #expect(result.stdout == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n")
    }

    @Test func missingProgramThrowsNotInstalled() throws {
        let error = #expect(throws: HelperError.self) {
            try runner.run(Command("moor-no-such-helper", ["x"], timeout: .seconds(5)))
        }
        #expect(error?.status == nil)
        #expect(error?.timedOut == false)
        #expect(error?.description.contains("not installed") == true)
        #expect(error?.description.hasPrefix("moor-no-such-helper") == true)
    }

    @Test func missingAbsoluteProgramThrowsNotInstalled() throws {
        let error = #expect(throws: HelperError.self) {
            try runner.run(Command("/nonexistent/bin/tool", [], timeout: .seconds(5)))
        }
        #expect(error?.description.contains("not installed") == true)
    }

    @Test func programsAreResolvedInTheFixedSearchPath() {
        #expect(CommandRunner.resolve("sh").map { $0.hasSuffix("/sh") && $0.hasPrefix("/") } == true)
        #expect(CommandRunner.resolve("/bin/sh") == "/bin/sh")
        #expect(CommandRunner.resolve("moor-no-such-helper") == nil)
        #expect(CommandRunner.resolve("/etc/passwd") == nil)   // exists, not executable
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let pidFile = dir.path + "/background.pid"
        let start = ContinuousClock.now
        let error = #expect(throws: HelperError.self) {
            try sh(#"sleep 30 & echo $! > "$1"; sleep 30"#, [pidFile], timeout: .seconds(1))
        }
        let elapsed = ContinuousClock.now - start
        let pid = Self.readPID(pidFile)
        defer { Self.cleanUp(pid) }
        #expect(error?.timedOut == true)
        #expect(error?.description.contains("did not finish within its deadline") == true)
        #expect(elapsed >= .seconds(1))
        #expect(elapsed < .seconds(4))
        let background = try #require(pid)
        #expect(Self.waitUntilGone(background, within: .seconds(2)), "the helper's background child \(background) survived the timeout")
    }

    @Test func helperThatIgnoresSigtermIsKilled() throws {
        let start = ContinuousClock.now
        let error = #expect(throws: HelperError.self) {
            try sh("trap '' TERM; while :; do sleep 0.1; done", timeout: .seconds(1))
        }
        #expect(error?.timedOut == true)
        #expect(ContinuousClock.now - start < .seconds(6))
    }

    @Test func daemonHoldingStdoutDoesNotBlockTheResult() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let pidFile = dir.path + "/daemon.pid"
        let start = ContinuousClock.now
        let result = try sh(#"(sleep 5 & echo $! > "$1"); echo done"#, [pidFile])
        let elapsed = ContinuousClock.now - start
        Self.cleanUp(Self.readPID(pidFile))
        #expect(result.status == 0)
        #expect(result.stdout == "done\n")
        #expect(elapsed < .seconds(2))
    }

    @Test func outputBeyond64KiBKeepsTheTail() throws {
        let result = try runner.run(Command("seq", ["1", "20000"], timeout: .seconds(10)))
        let full = (1...20000).map { "\($0)\n" }.joined()
        #expect(full.utf8.count > 64 << 10)
        #expect(result.stdout.utf8.count == 64 << 10)
        #expect(result.stdout == String(full.suffix(64 << 10)))
        #expect(result.stdout.hasSuffix("19999\n20000\n"))
    }

    @Test func stderrBeyond64KiBKeepsTheTail() throws {
        let result = try sh("seq 1 20000 >&2")
        #expect(result.stdout == "")
        #expect(result.stderr.utf8.count == 64 << 10)
        #expect(result.stderr.hasSuffix("19999\n20000\n"))
    }

    @Test func helperRunsInItsOwnSession() throws {
        let result = try runner.run(Command("cat", ["/proc/self/stat"], timeout: .seconds(10)))
        let text = result.stdout
        let close = try #require(text.lastIndex(of: ")"))
        let pid = try #require(pid_t(text[..<text.firstIndex(of: " ")!]))
        // After "comm)": state, ppid, pgrp, session.
        let fields = text[text.index(after: close)...].split(separator: " ")
        let pgrp = try #require(pid_t(fields[2]))
        let session = try #require(pid_t(fields[3]))
        #expect(session != getsid(0))
        #expect(session == pid)
        #expect(pgrp == pid)
    }

    @Test func durationIsMeasured() throws {
        let result = try sh("sleep 0.3")
        #expect(result.duration >= .milliseconds(300))
        #expect(result.duration < .seconds(3))
    }
}
