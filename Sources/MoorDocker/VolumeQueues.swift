import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Runs blocking work one call at a time per volume name, in parallel
/// across names, each call on the threads of its lane (see `DockerServer`
/// for the bulkheads). Waiting calls hold no thread: each is a future
/// chained after the previous one for the same name, and its lane is
/// chosen when its turn comes, from the state the calls before it left.
final class VolumeQueues: Sendable {
    private let metadata: NIOThreadPool
    private let probes: NIOThreadPool
    private let backend: BackendThreads
    private let tails = NIOLockedValueBox<[String: EventLoopFuture<Void>]>([:])

    init(metadata: NIOThreadPool, probes: NIOThreadPool, backend: BackendThreads) {
        self.metadata = metadata
        self.probes = probes
        self.backend = backend
    }

    /// On the probe threads, not queued behind any volume's calls: Get's
    /// bounded health probe.
    func runProbe<T: Sendable>(on loop: any EventLoop, _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        probes.runIfActive(eventLoop: loop, work)
    }

    func run<T: Sendable>(_ name: String, on loop: any EventLoop, lane: @escaping @Sendable () -> DockerRouter.Lane,
                          _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        tails.withLockedValue { tails in
            let previous = tails[name]?.hop(to: loop) ?? loop.makeSucceededVoidFuture()
            let result = previous.flatMap { () -> EventLoopFuture<T> in
                switch lane() {
                case .metadata: self.metadata.runIfActive(eventLoop: loop, work)
                case .backend: self.backend.run(on: loop, work)
                }
            }
            let tail = result.map { _ in () }.recover { _ in () }
            tails[name] = tail
            tail.whenComplete { _ in
                self.tails.withLockedValue { tails in
                    if tails[name] === tail { tails.removeValue(forKey: name) }
                }
            }
            return result
        }
    }
}
