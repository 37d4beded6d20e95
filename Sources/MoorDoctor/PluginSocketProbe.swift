#if canImport(Glibc)
import Glibc
#endif
import MoorCore

/// Asks a Docker volume plugin socket `POST /Plugin.Activate`, the way
/// dockerd does first, with one fixed HTTP/1.0 request (so the server
/// closes after answering) and blocking I/O bounded by socket timeouts and
/// an overall deadline. Not an HTTP client: it only looks at the status
/// line and whether the answer names `VolumeDriver`.
struct PluginSocketProbe {
    let path: String
    var deadline: Duration = .seconds(2)

    enum Outcome: Equatable {
        case answered
        case noSocket
        case notASocket
        case refused(String)
        case timedOut
        case wrongAnswer(String)
    }

    func probe() -> Outcome {
        guard let info = try? Sys.lstat(path) else { return .noSocket }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { return .notASocket }
        guard Array(path.utf8).count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return .refused("socket path too long") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .refused(String(cString: strerror(errno))) }
        defer { close(fd) }
        // On a unix socket SO_SNDTIMEO also bounds connect(2) when the
        // listener's backlog is full; SO_RCVTIMEO bounds each read.
        var timeout = timeval(tv_sec: Int(deadline.components.seconds), tv_usec: Int(deadline.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard Sys.connectUnix(fd, Array(path.utf8)) == true else {
            if errno == EAGAIN || errno == EINPROGRESS { return .timedOut }
            return .refused(String(cString: strerror(errno)))
        }
        let request = Array("POST /Plugin.Activate HTTP/1.0\r\nHost: plugin\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: 0\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return errno == EAGAIN ? .timedOut : .refused(String(cString: strerror(errno))) }
            sent += n
        }
        let clock = ContinuousClock(), end = clock.now + deadline
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while response.count < 64 << 10 {
            guard clock.now < end else { return .timedOut }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return errno == EAGAIN ? .timedOut : .refused(String(cString: strerror(errno))) }
            if n == 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let statusLine = text.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        guard statusLine.hasPrefix("HTTP/1."), statusLine.split(separator: " ").dropFirst().first == "200" else {
            return .wrongAnswer(statusLine.isEmpty ? "no HTTP answer" : statusLine)
        }
        guard text.contains("\"VolumeDriver\"") else { return .wrongAnswer("the answer does not implement VolumeDriver") }
        return .answered
    }
}
