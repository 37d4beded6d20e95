#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import MoorCore

/// How moor tells that multipathd runs: something accepts connections on
/// its abstract socket. Tried with a real listening socket of our own name.
@Suite struct MultipathTests {
    /// Binds and listens on the abstract unix socket `name`; returns the fd.
    static func listen(on name: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw[0] = 0
            for (i, byte) in bytes.enumerated() { raw[i + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        precondition(bound == 0 && Glibc.listen(fd, 4) == 0, "cannot listen on @\(name)")
        return fd
    }

    @Test func aListeningAbstractSocketIsSeenAndAClosedOneIsNot() {
        let name = "/moor-test/multipath-\(getpid())"
        #expect(!Sys.abstractSocketAccepts(name))
        let fd = Self.listen(on: name)
        #expect(Sys.abstractSocketAccepts(name))
        close(fd)
        #expect(!Sys.abstractSocketAccepts(name))
    }

    @Test func aNameTooLongForSunPathIsNotRunning() {
        #expect(!Sys.abstractSocketAccepts(String(repeating: "x", count: 200)))
    }

    @Test func kernelNameDropsTheDirectory() {
        #expect(Multipath.kernelName("/dev/sdb") == "sdb")
        #expect(Multipath.kernelName("sdc") == "sdc")
    }
}
