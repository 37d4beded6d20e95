import Foundation
import MoorCore

/// A `moord` process for one test: its own plugin name (dockerd's plugin
/// socket directory is shared by the whole machine), state dir and log.
public final class Moord: @unchecked Sendable {
    public let name: String
    public let root: TempRoot
    public var socket: String { "/run/docker/plugins/\(name).sock" }
    public private(set) var process: Process?

    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["MOORD_BIN"], !path.isEmpty { return path }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent(".build/debug/moord").path
    }

    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    /// Argv to run moord under (e.g. `nsenter --net=...`), or empty.
    public let wrapper: [String]

    /// Extra environment for the next `start()`, e.g. `MOOR_FAILPOINT`.
    public var environment: [String: String]

    public init(root: TempRoot, wrapper: [String] = [], environment: [String: String] = [:]) throws {
        self.wrapper = wrapper
        self.environment = environment
        Self.lock.lock(); Self.counter += 1; let n = Self.counter; Self.lock.unlock()
        name = "moor-test-\(getpid())-\(n)"
        self.root = root
        try start()
    }

    public var logFile: String { root.path + "/moord.log" }

    /// Starts moord and waits until its socket answers.
    public func start() throws {
        let process = Process()
        let argv = wrapper + [Self.binary, "--name", name, "--state-dir", root.stateDir]
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MOOR_") }
        env["MOOR_POLICY"] = root.policyFile
        env["MOOR_LOG_LEVEL"] = "debug"
        env.merge(environment) { $1 }
        process.environment = env
        if !FileManager.default.fileExists(atPath: logFile) { FileManager.default.createFile(atPath: logFile, contents: nil) }
        let log = FileHandle(forWritingAtPath: logFile)!
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let pid = process.processIdentifier, socket = self.socket
        AtExit.register { kill(pid, SIGKILL); unlink(socket) }
        for _ in 0..<200 {
            if let reply = try? PluginClient(socket: socket).call("/Plugin.Activate", body: ""), reply.status == 200 { return }
            guard process.isRunning else { break }
            usleep(25_000)
        }
        throw Shell.Failure(description: "moord did not answer on \(socket); log: \((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")")
    }

    /// SIGKILL: the crash case. Its mounts stay in the kernel.
    public func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM: the clean stop. Returns whether moord exited within 10 s;
    /// if not, it is killed so the tests never hang on it.
    @discardableResult
    public func stop() -> Bool {
        guard let process else { return true }
        process.terminate()
        var clean = false
        for _ in 0..<200 {
            if !process.isRunning { clean = true; break }
            usleep(50_000)
        }
        if !clean { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
        return clean
    }

    public var client: PluginClient { PluginClient(socket: socket) }
}

/// A minimal HTTP/1.1 client for the plugin socket, for tests that speak
/// the protocol directly (one request per connection, `Connection: close`).
public struct PluginClient: Sendable {
    public let socket: String
    public init(socket: String) { self.socket = socket }

    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var json: [String: JSONValue]? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)).object }
        public var err: String? { json?["Err"]?.string }
    }

    public func call(_ path: String, body: String) throws -> Reply {
        try call(path, rawBody: Array(body.utf8))
    }

    public func call(_ path: String, rawBody: [UInt8]) throws -> Reply {
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in socket.utf8.enumerated() { raw[i] = b }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var request = Array("POST \(path) HTTP/1.1\r\nHost: plugin.moby.localhost\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: \(rawBody.count)\r\nConnection: close\r\n\r\n".utf8)
        request += rawBody
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n") else { return Reply(status: 0, body: text) }
        let statusLine = text[..<headerEnd.lowerBound].split(separator: "\r\n").first ?? ""
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Reply(status: status, body: String(text[headerEnd.upperBound...]))
    }
}
