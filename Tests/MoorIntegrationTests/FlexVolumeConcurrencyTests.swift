import Foundation
import MoorTestSupport
import Testing

/// kubelet runs operations for different pods, and for different volumes,
/// at the same time: separate `moor` processes coordinate through flock.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(10)))
struct FlexVolumeConcurrencyTests {
    func parallel(_ count: Int, _ body: @escaping @Sendable (Int) throws -> String?) -> [String?] {
        let results = Results(count)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            results.set(i, (try? body(i)) ?? "threw")
        }
        return results.values
    }

    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var values: [String?]
        init(_ count: Int) { values = Array(repeating: "not run", count: count) }
        func set(_ i: Int, _ value: String?) { lock.lock(); values[i] = value; lock.unlock() }
    }

    @Test func sixteenDistinctVolumesMountInParallel() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let dirs = try (0..<16).map { try root.podDir("p\($0)") }
        let statuses = parallel(16) { i in
            var options = Kubelet.podOptions(pv: "pv-\(i)")
            options["size"] = "16M"
            return try kubelet.mount(dirs[i], options).status
        }
        #expect(statuses == Array(repeating: "Success", count: 16))
        #expect(try root.stagingMounts().count == 16)
        #expect(Loop.devices(under: root.path).count == 16)
        let table = try root.mountTable()
        #expect(Set(dirs.compactMap { table.mount(at: $0)?.device }).count == 16, "each pod sees its own disk")

        let unmounted = parallel(16) { i in try kubelet.unmount(dirs[i]).status }
        #expect(unmounted == Array(repeating: "Success", count: 16))
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty, "no leaked loop devices")
    }

    @Test func eightPodsOfOneVolumeMountInParallelOntoOneStagingMount() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let dirs = try (0..<8).map { try root.podDir("p\($0)") }
        let statuses = parallel(8) { i in
            var options = Kubelet.podOptions(pv: "pv-one")
            options["size"] = "32M"
            return try kubelet.mount(dirs[i], options).status
        }
        #expect(statuses == Array(repeating: "Success", count: 8))
        let staging = try root.stagingMounts()
        #expect(staging.count == 1)
        #expect(Loop.devices(under: root.path).count == 1)
        let device = try #require(staging.first?.device)
        let table = try root.mountTable()
        #expect(dirs.allSatisfy { table.mount(at: $0)?.device == device })

        let unmounted = parallel(8) { i in try kubelet.unmount(dirs[i]).status }
        #expect(unmounted == Array(repeating: "Success", count: 8))
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty)
    }
}
