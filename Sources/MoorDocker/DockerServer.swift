#if canImport(Glibc)
import Glibc
#endif
import Logging
import MoorCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// moord's HTTP/1.1 server on a unix socket (`/run/docker/plugins/<name>.sock`).
///
/// Bulkheads: one volume's slow server never delays metadata calls or
/// other volumes' mounts. Each kind of work has threads of its own:
/// - the event loop answers List, Path, Capabilities and Get of a volume
///   that needs no probe, from memory;
/// - `metadata` (a small pool) runs Create, and Remove of a local disk or
///   host directory: local files only, so these threads are never held
///   by a server;
/// - `probes` (a small pool) runs Get's health probe of a mounted network
///   or FUSE volume, which `Health.probe` gives up after 2 s;
/// - `backend` gives every Mount, Unmount, reconcile, and Remove of a
///   network or FUSE volume (it may delete on the share, and waits for its
///   source's staging lock) a thread of its own, up to
///   `maxBackendOperations` at once (a hung operation is bounded by its
///   volume's `timeout`); past the cap a call fails at once with a clear
///   error rather than waiting behind operations that may each take that long.
/// Calls for one volume name still run one at a time, in order
/// (`VolumeQueues`); a call waiting its turn holds no thread.
public final class DockerServer: Sendable {
    public let socketPath: String
    let router: DockerRouter
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let metadata: NIOThreadPool
    let probes: NIOThreadPool
    let backend: BackendThreads

    /// Generous: each is a parked thread waiting on a server, not CPU work.
    public static let maxBackendOperations = 256
    /// Whether moord bound the socket file itself (and so removes it on stop);
    /// a socket systemd passed belongs to systemd.
    private let ownsSocketFile = NIOLockedValueBox(false)

    public init(socketPath: String, volumes: VolumeService, logger: Logger, eventLoops: Int = 1,
                maxBackendOperations: Int = DockerServer.maxBackendOperations) {
        self.socketPath = socketPath
        router = DockerRouter(volumes: volumes)
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops)
        metadata = NIOThreadPool(numberOfThreads: 2)
        probes = NIOThreadPool(numberOfThreads: 4)
        backend = BackendThreads(limit: maxBackendOperations)
    }

    public enum StartError: Error, CustomStringConvertible {
        case alreadyServed(String)
        public var description: String {
            switch self { case .alreadyServed(let path): "another process already serves \(path); stop it first" }
        }
    }

    /// Binds the socket (root-only, a stale file from a dead moord is
    /// replaced, a live one is not) and starts serving. Under systemd socket
    /// activation (`LISTEN_FDS`), serves the socket systemd passed instead.
    public func start() throws -> any Channel {
        let activated = Self.socketFromSystemd()
        if activated == nil {
            if Self.answers(socketPath) { throw StartError.alreadyServed(socketPath) }
            if let slash = socketPath.lastIndex(of: "/") { try Sys.mkdirs(String(socketPath[..<slash]), mode: 0o755) }
        }
        metadata.start()
        probes.start()
        let queues = VolumeQueues(metadata: metadata, probes: probes, backend: backend)
        let router = self.router
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(DockerHTTPHandler(router: router, queues: queues))
                }
            }
        if let activated {
            let channel = try bootstrap.withBoundSocket(descriptor: activated).wait()
            logger.info("serving a socket from systemd", metadata: ["fd": "\(activated)"])
            return channel
        }
        ownsSocketFile.withLockedValue { $0 = true }
        // The socket file is created by bind(2): a umask makes it 0600 from
        // its first moment, never briefly open to other users.
        let previous = umask(0o177)
        defer { umask(previous) }
        let channel = try bootstrap.bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).wait()
        logger.info("serving", metadata: ["socket": "\(socketPath)"])
        return channel
    }

    /// sd_listen_fds(3): the first passed descriptor (3) when `LISTEN_PID` is us.
    static func socketFromSystemd() -> CInt? {
        guard let pid = getenv("LISTEN_PID").flatMap({ pid_t(String(cString: $0)) }), pid == getpid(),
              let count = getenv("LISTEN_FDS").flatMap({ Int(String(cString: $0)) }), count >= 1 else { return nil }
        unsetenv("LISTEN_PID"); unsetenv("LISTEN_FDS"); unsetenv("LISTEN_FDNAMES")
        return 3
    }

    /// Closes the socket, then waits for the calls already running.
    public func stop(_ channel: any Channel) {
        try? channel.close().wait()
        if ownsSocketFile.withLockedValue({ $0 }) { unlink(socketPath) }
        try? metadata.syncShutdownGracefully()
        try? probes.syncShutdownGracefully()
        // Like the pools, let running backend operations finish (each is
        // bounded by its volume's timeout) so none stops half-way.
        while backend.count > 0 { usleep(50_000) }
        try? group.syncShutdownGracefully()
    }

    /// Whether something accepts connections on `path`.
    static func answers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Sys.connectUnix(fd, Array(path.utf8)) == true
    }
}
