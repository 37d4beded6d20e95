import Dispatch
import NIOCore
import NIOPosix
@testable import MoorDocker
import Synchronization
import Testing

/// Per-name serialisation: one volume's calls never overlap, different
/// volumes' calls do; and the bulkheads: a stuck backend call holds only
/// its own thread.
@Suite(.timeLimit(.minutes(1)))
final class VolumeQueuesTests {
    let metadata = NIOThreadPool(numberOfThreads: 2)
    let probes = NIOThreadPool(numberOfThreads: 2)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init() {
        metadata.start()
        probes.start()
    }

    deinit {
        try? metadata.syncShutdownGracefully()
        try? probes.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
    }

    func queues(limit: Int = 256) -> VolumeQueues {
        VolumeQueues(metadata: metadata, probes: probes, backend: BackendThreads(limit: limit))
    }

    @Test(arguments: [DockerRouter.Lane.metadata, .backend])
    func sameNameRunsOneAtATimeInOrder(lane: DockerRouter.Lane) throws {
        let queues = queues()
        let active = Atomic<Int>(0), maximum = Atomic<Int>(0)
        let order = Mutex<[Int]>([])
        let futures = (0..<8).map { i in
            queues.run("v", on: group.next(), lane: { lane }) { () -> Int in
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
        let queues = queues()
        let active = Atomic<Int>(0), maximum = Atomic<Int>(0)
        let futures = (0..<4).map { i in
            queues.run("v\(i)", on: group.next(), lane: { .backend }) { () -> Int in
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

    /// Twenty stuck Mounts (more than any pool here has threads) delay
    /// neither a metadata call, nor another volume's backend call, nor a probe.
    @Test func stuckBackendCallsDelayNoOtherVolume() throws {
        let queues = queues()
        let release = DispatchSemaphore(value: 0)
        let stuck = (0..<20).map { i in
            queues.run("stuck\(i)", on: group.next(), lane: { .backend }) { release.wait(); return i }
        }
        let start = ContinuousClock.now
        #expect(try queues.run("meta", on: group.next(), lane: { .metadata }) { 1 }.wait() == 1)
        #expect(try queues.run("other", on: group.next(), lane: { .backend }) { 2 }.wait() == 2)
        #expect(try queues.runProbe(on: group.next()) { 3 }.wait() == 3)
        #expect(ContinuousClock.now - start < .milliseconds(500))
        for _ in stuck { release.signal() }
        for (i, future) in stuck.enumerated() { #expect(try future.wait() == i) }
    }

    @Test func pastTheCapABackendCallFailsAtOnceAndTheQueueGoesOn() throws {
        let queues = queues(limit: 2)
        let release = DispatchSemaphore(value: 0)
        let stuck = (0..<2).map { i in queues.run("s\(i)", on: group.next(), lane: { .backend }) { release.wait(); return i } }
        let refused = queues.run("third", on: group.next(), lane: { .backend }) { 3 }
        #expect { try refused.wait() } throws: { error in
            (error as? BackendThreads.Saturated)?.description.contains("already running 2 mount operations") == true
        }
        #expect(try queues.run("third", on: group.next(), lane: { .metadata }) { 4 }.wait() == 4, "the name's queue is not stuck")
        for _ in stuck { release.signal() }
        for future in stuck { _ = try future.wait() }
        #expect(try queues.run("third", on: group.next(), lane: { .backend }) { 5 }.wait() == 5)
    }
}
