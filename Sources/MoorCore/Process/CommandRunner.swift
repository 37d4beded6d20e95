#if canImport(Glibc)
import Glibc
#endif
import CMoorSystem

/// Runs a helper with posix_spawn: stdin from /dev/null, stdout and stderr
/// into capped pipes the core reads (never fd 1 or 2 of `moor`, which
/// kubelet parses), every other descriptor closed, its own session and
/// process group, and a deadline after which the whole group gets SIGTERM,
/// then SIGKILL.
///
/// A helper that leaves a daemon behind (a FUSE server) may keep the pipes
/// open; the runner stops reading once the helper itself has exited.
public struct CommandRunner: CommandRunning {
    /// Fixed, so behaviour does not depend on kubelet's or dockerd's PATH.
    public static let searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    static let outputCap = 64 << 10
    static let killGrace: Duration = .seconds(2)

    public init() {}

    public static func resolve(_ program: String) -> String? {
        if program.hasPrefix("/") { return access(program, X_OK) == 0 ? program : nil }
        for directory in searchPath {
            let candidate = directory + "/" + program
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    public func run(_ command: Command) throws(HelperError) -> CommandResult {
        guard let path = Self.resolve(command.program) else {
            throw HelperError(tool: command.program, status: nil, stderrTail: "not installed (looked in \(Self.searchPath.joined(separator: ":")))")
        }
        let clock = ContinuousClock()
        let start = clock.now
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard moor_pipe2_cloexec(&outPipe) == 0 else { throw spawnError(command, errno) }
        guard moor_pipe2_cloexec(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw spawnError(command, errno)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, command.stdinFile ?? "/dev/null", O_RDONLY, 0)
        if let file = command.outputFile {
            posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        }
        moor_spawn_addclosefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session makes the helper a process-group leader we can kill
        // as a group, and detaches it from any controlling terminal.
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGPIPE)
        sigaddset(&defaultSignals, SIGTERM)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, moor_spawn_setsid_flag() | Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = [path] + command.arguments
        let environment = ["PATH=" + Self.searchPath.joined(separator: ":"), "LC_ALL=C"] + command.environment
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { cArgv in
            withCStrings(environment) { cEnv in
                posix_spawn(&pid, path, &actions, &attributes, cArgv, cEnv)
            }
        }
        close(outPipe[1]); close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else { throw spawnError(command, spawned) }

        var out = OutputBuffer(cap: Self.outputCap), err = OutputBuffer(cap: Self.outputCap)
        let deadline = start + command.timeout
        var status: Int32? = nil
        var timedOut = false
        var open = [outPipe[0], errPipe[0]]
        while status == nil {
            let remaining = deadline - clock.now
            if remaining <= .zero { timedOut = true; break }
            let waitMillis = Int32(min(max(remaining.milliseconds, 1), open.isEmpty ? 20 : 50))
            if open.isEmpty {
                usleep(UInt32(min(waitMillis, 5)) * 1000)
            } else {
                var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                let ready = poll(&fds, nfds_t(fds.count), waitMillis)
                if ready > 0 {
                    for entry in fds where entry.revents != 0 {
                        let isOut = entry.fd == outPipe[0]
                        if !(isOut ? out.read(from: entry.fd) : err.read(from: entry.fd)) {
                            open.removeAll { $0 == entry.fd }
                        }
                    }
                }
            }
            status = reap(pid, wait: false)
        }
        if timedOut {
            kill(-pid, SIGTERM)
            let graceEnd = clock.now + Self.killGrace
            while clock.now < graceEnd, reap(pid, wait: false) == nil { usleep(10_000) }
            kill(-pid, SIGKILL)
            // A helper blocked in the kernel (an unmount waiting on a dead
            // server) cannot die until the kernel lets go; do not wait for
            // it past a short grace, or the caller's deadline means nothing.
            let killEnd = clock.now + Self.killGrace
            while clock.now < killEnd, reap(pid, wait: false) == nil { usleep(10_000) }
            throw HelperError(tool: command.program, status: nil, stderrTail: "", timedOut: true)
        }
        // The helper is gone; take what its pipes still hold without waiting
        // for a daemon it may have left holding them.
        for fd in open {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if fd == outPipe[0] { while out.read(from: fd) {} } else { while err.read(from: fd) {} }
        }
        var stderr = err.text
        if let file = command.outputFile, let logged = try? Sys.readFile(file, limit: Self.outputCap) {
            stderr = String(decoding: logged, as: UTF8.self)
        }
        return CommandResult(status: status!, stdout: out.text, stderr: stderr, duration: clock.now - start)
    }

    private func spawnError(_ command: Command, _ code: Int32) -> HelperError {
        HelperError(tool: command.program, status: nil, stderrTail: String(cString: strerror(code)))
    }

    /// waitpid; returns the exit status (or 128 + signal) once the child is gone.
    private func reap(_ pid: pid_t, wait: Bool) -> Int32? {
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, wait ? 0 : WNOHANG)
            if result == -1 && errno == EINTR { continue }
            if result != pid { return result == -1 ? 255 : nil }
            break
        }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}

/// Keeps at most `cap` bytes of a stream, the tail if it overflows.
struct OutputBuffer {
    let cap: Int
    var bytes: [UInt8] = []

    /// Reads once; false at end of file or on error.
    mutating func read(from fd: Int32) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 8192)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
        if count < 0 && errno == EINTR { return true }
        guard count > 0 else { return false }
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > cap { bytes.removeFirst(bytes.count - cap) }
        return true
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
