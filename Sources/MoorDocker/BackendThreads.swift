#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore

/// Runs each blocking backend operation (Mount, Unmount, a Remove that
/// contacts a server) on a thread of its own, so an operation stuck on a
/// dead server holds only its own thread: no pool fills up, and other
/// volumes' operations start at once. At most `limit` run at a time;
/// beyond that a call fails at once with `Saturated` instead of queueing
/// behind operations that may each wait out a `timeout` of up to an hour.
final class BackendThreads: Sendable {
    let limit: Int
    private let running = NIOLockedValueBox(0)

    init(limit: Int) { self.limit = limit }

    /// The cap was reached; the message is the plugin call's error.
    struct Saturated: Error, CustomStringConvertible {
        let limit: Int
        var description: String {
            "moord is already running \(limit) mount operations (servers that are slow to answer?); try again when some finish"
        }
    }

    /// Operations running now.
    var count: Int { running.withLockedValue { $0 } }

    /// Starts `work` on a new detached thread; the future completes on `loop`.
    func run<T: Sendable>(on loop: any EventLoop, _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        let admitted = running.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else { return loop.makeFailedFuture(Saturated(limit: limit)) }
        let promise = loop.makePromise(of: T.self)
        let job = Job {
            let value = work()
            self.running.withLockedValue { $0 -= 1 }
            promise.succeed(value)
        }
        if let failure = Self.spawn(job) {
            running.withLockedValue { $0 -= 1 }
            promise.fail(failure)
        }
        return promise.futureResult
    }

    private final class Job: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    struct SpawnFailed: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { "moord cannot start a thread for this operation (pthread_create: errno \(errno))" }
    }

    /// pthread_create(3), detached: nobody joins a thread that may outlive the call's deadline.
    private static func spawn(_ job: Job) -> SpawnFailed? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(job).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { context in
            let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
            job.body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Job>.fromOpaque(context).release()
            return SpawnFailed(errno: result)
        }
        return nil
    }
}
