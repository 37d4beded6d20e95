import NIOCore
import NIOPosix
@testable import MoorDocker
import Synchronization
import Testing

/// Per-name serialisation: one volume's calls never overlap, different
/// volumes' calls do.
@Suite(.timeLimit(.minutes(1)))
struct VolumeQueuesTests {
    @Test func sameNameRunsOneAtATimeInOrder() throws {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        defer { try? pool.syncShutdownGracefully() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let queues = VolumeQueues(pool: pool)
        let active = Atomic<Int>(0), maximum = Atomic<Int>(0)
        let order = Mutex<[Int]>([])
        let futures = (0..<8).map { i in
            queues.run("v", on: group.next()) { () -> Int in
                let now = active.add(1, ordering: .relaxed).newValue
                _ = maximum.max(now, ordering: .relaxed)
                usleep(5_000)
                order.withLock { $0.append(i) }
                active.subtract(1, ordering: .relaxed)
                return i
            }
        }
        for (i, future) in futures.enumerated() { #expect(try future.wait() == i) }
        #expect(maximum.load(ordering: .relaxed) == 1)
        #expect(order.withLock { $0 } == Array(0..<8))
    }

    @Test func differentNamesRunInParallel() throws {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        defer { try? pool.syncShutdownGracefully() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let queues = VolumeQueues(pool: pool)
        let active = Atomic<Int>(0), maximum = Atomic<Int>(0)
        let futures = (0..<4).map { i in
            queues.run("v\(i)", on: group.next()) { () -> Int in
                let now = active.add(1, ordering: .relaxed).newValue
                _ = maximum.max(now, ordering: .relaxed)
                usleep(50_000)
                active.subtract(1, ordering: .relaxed)
                return i
            }
        }
        for future in futures { _ = try future.wait() }
        #expect(maximum.load(ordering: .relaxed) > 1)
    }
}
