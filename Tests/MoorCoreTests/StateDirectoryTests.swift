import Foundation
import MoorTestSupport
import Testing
@testable import MoorCore

@Suite(.timeLimit(.minutes(1)))
struct StateDirectoryTests {
    @Test func layoutPathsAreUnderTheRoot() throws {
        let state = StateDirectory(root: "/var/lib/moor")
        let key = StagingKey(prefix: "disk-pv1", source: "abc", nodeKey: .test)
        #expect(state.stagingRoot == "/var/lib/moor/staging")
        #expect(state.disksRoot == "/var/lib/moor/disks")
        #expect(state.locksRoot == "/var/lib/moor/locks")
        #expect(state.stagingPath(key) == "/var/lib/moor/staging/" + key.rawValue)
        #expect(state.recordPath(key) == "/var/lib/moor/staging/" + key.rawValue + ".json")
        #expect(state.diskImagePath(try #require(VolumeName("pv1"))) == "/var/lib/moor/disks/pv1.img")
        #expect(state.ownerPath(try #require(VolumeName("pv1"))) == "/var/lib/moor/disks/pv1.owner")
        #expect(key.rawValue.hasPrefix("disk-pv1-"))
    }

    @Test func prepareCreatesThePrivateLayout() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path + "/state")
        try state.prepare()
        for path in [state.stagingRoot, state.disksRoot, state.locksRoot] {
            let info = try Sys.stat(path)
            #expect(Sys.isDirectory(info))
            #expect(info.st_mode & 0o777 == 0o700)
        }
    }

    @Test func writeAtomicallyWritesTheContentAndLeavesNoTempFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path)
        let path = dir.path + "/record.json"
        try state.writeAtomically(path, Array(#"{"version":1}"#.utf8))
        #expect(try Sys.readText(path) == #"{"version":1}"#)
        #expect(try Sys.listDirectory(dir.path) == ["record.json"])
        #expect(try Sys.stat(path).st_mode & 0o777 == 0o600)
    }

    @Test func writeAtomicallyReplacesTheWholeFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path)
        let path = dir.path + "/record.json"
        try state.writeAtomically(path, Array(String(repeating: "x", count: 1000).utf8))
        try state.writeAtomically(path, Array("short".utf8))
        #expect(try Sys.readText(path) == "short")
        #expect(try Sys.listDirectory(dir.path) == ["record.json"])
    }

    @Test func writeAtomicallyIntoAMissingDirectoryFails() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path)
        let error = #expect(throws: SystemCallError.self) {
            try state.writeAtomically(dir.path + "/missing/record.json", Array("x".utf8))
        }
        #expect(error?.errno.rawValue == ENOENT)
        #expect(try Sys.listDirectory(dir.path) == [])
    }

    @Test func withLockCreatesTheLockFileAndReturnsTheBodysValue() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path + "/state")
        let value = try state.withLock("disk-v1-0123456789abcdef") { 42 }
        #expect(value == 42)
        #expect(try Sys.listDirectory(state.locksRoot) == ["disk-v1-0123456789abcdef.lock"])
    }

    @Test func withLockRethrowsTheBodysError() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path)
        let error = #expect(throws: MoorError.self) {
            try state.withLock("k") { throw MoorError(.busy, "body failed") }
        }
        #expect(error?.message == "body failed")
        // The lock was released: it can be taken again at once.
        #expect(try state.withLock("k") { "again" } == "again")
    }

    @Test func withLockIfFreeRunsTheBodyWhenNobodyHoldsTheLock() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path)
        try state.prepare()
        #expect(try state.withLockIfFree("k") { 7 } == 7)
    }

    @Test func withLockIfFreeReturnsNilAtOnceWhileTheLockIsHeld() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path)
        let start = ContinuousClock.now
        var ran = false
        let inner: Int? = try state.withLock("k") {
            try state.withLockIfFree("k") { ran = true; return 1 }
        }
        #expect(inner == nil)
        #expect(ran == false)
        #expect(ContinuousClock.now - start < .seconds(2))
        // Free again once withLock returned.
        #expect(try state.withLockIfFree("k") { 2 } == 2)
    }

    final class Shared: @unchecked Sendable {
        var counter = 0
        var inside = false
        var overlaps = 0
        var failures: [String] = []
        let failureLock = NSLock()
    }

    @Test func withLockSerialisesThreads() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let state = StateDirectory(root: dir.path)
        let shared = Shared()
        let iterations = 40
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                for _ in 0..<iterations {
                    do {
                        try state.withLock("counter") {
                            if shared.inside { shared.overlaps += 1 }
                            shared.inside = true
                            let value = shared.counter
                            usleep(500)
                            shared.counter = value + 1
                            shared.inside = false
                        }
                    } catch {
                        shared.failureLock.lock()
                        shared.failures.append("\(error)")
                        shared.failureLock.unlock()
                    }
                }
            }
            thread.start()
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(shared.failures == [])
        #expect(shared.overlaps == 0)
        #expect(shared.counter == 2 * iterations)
    }
}
