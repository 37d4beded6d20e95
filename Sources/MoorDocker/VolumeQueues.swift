import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Runs blocking work on the thread pool one at a time per volume name, and
/// in parallel across names. Waiting requests hold no thread: each is a
/// future chained after the previous one for the same name.
final class VolumeQueues: Sendable {
    private let pool: NIOThreadPool
    private let tails = NIOLockedValueBox<[String: EventLoopFuture<Void>]>([:])

    init(pool: NIOThreadPool) { self.pool = pool }

    /// On the pool, not queued behind any volume's calls.
    func runUnqueued<T: Sendable>(on loop: any EventLoop, _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        pool.runIfActive(eventLoop: loop, work)
    }

    func run<T: Sendable>(_ name: String, on loop: any EventLoop, _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        tails.withLockedValue { tails in
            let previous = tails[name]?.hop(to: loop) ?? loop.makeSucceededVoidFuture()
            let result = previous.flatMap { self.pool.runIfActive(eventLoop: loop, work) }
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
