import Foundation
import Testing
@testable import MoorDoctor

/// The probe against real unix sockets in the states a moord socket can be
/// in (a real moord answering is in DoctorCommandTests).
@Suite(.timeLimit(.minutes(1)))
final class PluginSocketProbeTests {
    let dir: String

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    init() throws {
        var template = Array("/tmp/moor-probe-XXXXXX".utf8CString)
        dir = String(cString: try #require(mkdtemp(&template)))
    }

    /// A bound unix socket at `path`; listening if asked. Returns its fd.
    func bound(_ path: String, listen: Bool) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(result == 0)
        if listen { try #require(Glibc.listen(fd, 4) == 0) }
        return fd
    }

    @Test func noFileMeansNoSocket() {
        #expect(PluginSocketProbe(path: dir + "/none.sock").probe() == .noSocket)
        FileManager.default.createFile(atPath: dir + "/plain", contents: Data())
        #expect(PluginSocketProbe(path: dir + "/plain").probe() == .notASocket)
    }

    @Test func aSocketFileNobodyListensOnIsRefused() throws {
        let fd = try bound(dir + "/dead.sock", listen: false)
        close(fd)
        guard case .refused = PluginSocketProbe(path: dir + "/dead.sock").probe() else {
            Issue.record("a socket without a listener was not reported refused")
            return
        }
    }

    @Test func aListenerThatNeverAnswersTimesOutWithinTheDeadline() throws {
        let fd = try bound(dir + "/mute.sock", listen: true)
        defer { close(fd) }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(PluginSocketProbe(path: dir + "/mute.sock", deadline: .milliseconds(500)).probe() == .timedOut)
        #expect(clock.now - start < .seconds(2))
    }

    @Test func anAnswerThatIsNotAVolumePluginIsNamed() throws {
        let fd = try bound(dir + "/other.sock", listen: true)
        defer { close(fd) }
        let server = Thread {
            let client = accept(fd, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = read(client, &buffer, buffer.count)
            let reply = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Implements\":[\"NetworkDriver\"]}\n"
            _ = reply.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
        server.start()
        #expect(PluginSocketProbe(path: dir + "/other.sock").probe() == .wrongAnswer("the answer does not implement VolumeDriver"))
    }
}
