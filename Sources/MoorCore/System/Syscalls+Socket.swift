#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

extension Sys {
    /// Whether a TCP connection to `host`:`port` opens within `limit`:
    /// getaddrinfo(3), then a non-blocking connect(2) per address, waited
    /// for with poll(2); the socket is closed at once, nothing is sent.
    /// Returns nil when one connects, else the last error (`.timedOut`
    /// when no answer came in time). A name that does not resolve is nil:
    /// the caller's own client reports that better.
    public static func tcpConnectError(host: String, port: UInt16, within limit: Duration) -> Errno? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(first) }
        let end = ContinuousClock.now + limit
        var last = Errno.timedOut
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { Glibc.close(fd) }
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return nil }
            guard Glibc.errno == EINPROGRESS else {
                last = Errno(rawValue: Glibc.errno)
                continue
            }
            var ready: Int32
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            repeat {
                let left = end - ContinuousClock.now
                let milliseconds = max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
                ready = poll(&entry, 1, Int32(clamping: milliseconds))
            } while ready < 0 && Glibc.errno == EINTR
            guard ready > 0 else {
                last = .timedOut
                continue
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure == 0 { return nil }
            last = Errno(rawValue: failure)
        }
        return last
    }
}
