import Foundation
import MoorCore

/// A private dockerd for the test process (its own socket, data-root and
/// exec-root), started once on first use and stopped at exit, plus a
/// busybox image imported from Debian's busybox-static (no registry).
public final class DockerHost: @unchecked Sendable {
    public let root: String
    public let socket: String
    public let image = "moor-test-busybox:latest"
    let process: Process

    public static let docker = "/usr/bin/docker"

    /// Started on first use; in CI a dockerd that cannot start fails the tests.
    public static let shared: Result<DockerHost, any Error> = Result { try DockerHost() }

    public static func get() throws -> DockerHost { try shared.get() }

    init() throws {
        var template = Array("/tmp/moor-dockerd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        root = String(cString: made)
        socket = root + "/docker.sock"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/dockerd")
        process.arguments = ["--iptables=false", "--bridge=none", "--data-root", root + "/data", "--exec-root", root + "/exec",
                             "--pidfile", root + "/dockerd.pid", "-H", "unix://" + socket]
        let log = FileHandle(forWritingAtPath: root + "/dockerd.log") ?? {
            FileManager.default.createFile(atPath: root + "/dockerd.log", contents: nil)
            return FileHandle(forWritingAtPath: root + "/dockerd.log")!
        }()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        let dir = root
        AtExit.register {
            DockerHost.stop(pid: pid)
            _ = try? Shell.run("/bin/umount", ["-R", "-l", dir])
            try? FileManager.default.removeItem(atPath: dir)
        }
        try waitUntilReady()
        try importImage()
    }

    func waitUntilReady() throws {
        for _ in 0..<120 {
            if (try? run(["version"])) != nil { return }
            usleep(250_000)
        }
        throw Shell.Failure(description: "dockerd did not answer within 30 s; see \(root)/dockerd.log")
    }

    func importImage() throws {
        let rootfs = root + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for tool in ["sh", "cat", "ls", "echo", "sleep", "touch", "dd", "df", "rm", "mkdir", "stat", "test", "sync", "true", "wc"] {
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/" + tool, withDestinationPath: "busybox")
        }
        let tar = rootfs + ".tar"
        try Shell.run("/bin/tar", ["-C", rootfs, "-cf", tar, "."])
        try run(["import", tar, image])
    }

    /// Runs the docker CLI against this daemon; throws with its output on failure.
    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        try Shell.run(Self.docker, ["-H", "unix://" + socket] + arguments)
    }

    /// Runs the docker CLI and returns its exit status and combined output.
    public func attempt(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.docker)
        process.arguments = ["-H", "unix://" + socket] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return (-1, "could not start docker") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `docker run --rm --network none` with the volumes given as `-v` specs.
    @discardableResult
    public func container(_ volumes: [String], _ command: [String], detached: Bool = false, name: String? = nil) throws -> String {
        var arguments = ["run", "--network", "none"]
        arguments += detached ? ["-d"] : ["--rm"]
        if let name { arguments += ["--name", name] }
        for v in volumes { arguments += ["-v", v] }
        return try run(arguments + [image] + command)
    }

    /// Restarts dockerd with the same data root (volumes' metadata survive).
    public func restart() throws {
        try run(["ps", "-q"]) // fail early if it is not up
        let pid = Int32((try? String(contentsOfFile: root + "/dockerd.pid", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? process.processIdentifier
        Self.stop(pid: pid)
        let again = Process()
        again.executableURL = process.executableURL
        again.arguments = process.arguments
        let log = FileHandle(forWritingAtPath: root + "/dockerd.log")!
        log.seekToEndOfFile()
        again.standardOutput = log
        again.standardError = log
        again.standardInput = FileHandle.nullDevice
        try again.run()
        let newPID = again.processIdentifier
        AtExit.register { DockerHost.stop(pid: newPID) }
        try waitUntilReady()
    }
}

extension DockerHost {
    /// SIGTERM, then SIGKILL after 10 s; dockerd unmounts its own mounts on a clean stop.
    static func stop(pid: Int32) {
        kill(pid, SIGTERM)
        for _ in 0..<200 where kill(pid, 0) == 0 { usleep(50_000) }
        kill(pid, SIGKILL)
    }
}

/// Cleanups that must run when the test process exits (shared daemons).
public enum AtExit {
    nonisolated(unsafe) private static var blocks: [() -> Void] = []
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    public static func register(_ block: @escaping () -> Void) {
        lock.lock(); defer { lock.unlock() }
        blocks.append(block)
        if !installed {
            installed = true
            atexit { AtExit.runAll() }
        }
    }

    static func runAll() {
        lock.lock(); let all = blocks.reversed(); blocks = []; lock.unlock()
        for block in all { block() }
    }
}
