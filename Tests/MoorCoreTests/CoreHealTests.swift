import MoorTestSupport
import SystemPackage
import Testing
@testable import MoorCore

/// Healing in `publish`: a staging mount whose probe reports a corrupted
/// mount (dead FUSE daemon, stale NFS handle) is released and staged again;
/// one that does not answer is an error, and nothing is released.
@Suite struct CoreHealTests {
    @Test func aCorruptedStagingMountIsReleasedAndStagedAgain() throws {
        var f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a"), b = try f.consumer("b")
        try f.core.publish(f.definition, to: .init(target: a))
        let staging = try f.staging
        let dead = f.stagingMounts.first?.id
        f.core.probe = { path, _ in path == staging ? .staleNFSFileHandle : nil }
        try f.core.publish(f.definition, to: .init(target: b))
        #expect(f.mounter.unmounted == [staging])
        #expect(f.stagingMounts.count == 1)
        #expect(f.stagingMounts.first?.id != dead, "a new staging mount")
        #expect(f.mounter.requests.last?.target == b)
        #expect(f.isMounted(b))
    }

    @Test func aStagingMountThatDoesNotAnswerIsATimeoutAndIsKept() throws {
        var f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a"), b = try f.consumer("b")
        try f.core.publish(f.definition, to: .init(target: a))
        f.core.probe = { _, _ in .timedOut }
        let error = #expect(throws: MoorError.self) { try f.core.publish(f.definition, to: .init(target: b)) }
        #expect(error?.kind == .timedOut)
        #expect(f.mounter.unmounts.isEmpty)
        #expect(!f.isMounted(b))
    }

    @Test func aHealthyStagingMountIsNotReleased() throws {
        var f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a"), b = try f.consumer("b")
        try f.core.publish(f.definition, to: .init(target: a))
        f.core.probe = { _, _ in nil }
        try f.core.publish(f.definition, to: .init(target: b))
        #expect(f.mounter.unmounts.isEmpty)
        #expect(try f.consumerCount == 2)
    }
}
