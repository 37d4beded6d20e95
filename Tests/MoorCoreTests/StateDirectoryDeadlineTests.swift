#if canImport(Glibc)
import Glibc
#endif
import MoorTestSupport
import Testing
@testable import MoorCore

/// A lock held by an operation stuck on a dead server is waited for only
/// until the waiter's own deadline.
@Suite(.timeLimit(.minutes(1)))
struct StateDirectoryDeadlineTests {
    @Test func aHeldLockIsWaitedForOnlyUntilTheDeadline() throws {
        let directory = try TempDirectory(); defer { directory.remove() }
        let state = StateDirectory(root: directory.path)
        try state.prepare()
        let path = state.locksRoot + "/nfs-x.lock"
        let holder = try Sys.open(path, O_RDWR | O_CREAT)
        try Sys.lockExclusive(holder, path)
        let start = ContinuousClock.now
        #expect { try state.withLock("nfs-x", until: Deadline(.milliseconds(300))) {} } throws: { error in
            (error as? MoorError)?.kind == .timedOut
        }
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(300) && waited < .seconds(1))
        Sys.close(holder)
        #expect(try state.withLock("nfs-x", until: Deadline(.milliseconds(300))) { 7 } == 7, "free again: taken at once")
    }
}
