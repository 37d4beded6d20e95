import Foundation
import MoorTestSupport
import SystemPackage
import Testing
@testable import MoorCore

/// `Core.publish` and `unpublish` with a `bind` volume and a `FakeMounter`:
/// stage once, bind many, release with the last consumer.
@Suite struct CorePublishTests {
    @Test func firstPublishStagesThenBinds() throws {
        let f = try BindFixture(); defer { f.remove() }
        let target = try f.consumer("a")
        try f.core.publish(f.definition, to: .init(target: target))
        let staging = try f.staging
        #expect(f.mounter.requests.map(\.target) == [staging, staging, staging, target], "bind, private, shared, then the consumer's bind")
        #expect(f.mounter.requests.last?.source == staging)
        #expect(f.stagingMounts.count == 1)
        #expect(f.stagingMounts.first?.root == f.host)
        #expect(try f.consumerCount == 1)
        #expect(StagingRecord.load(f.core.state.recordPath(try f.key))?.type == .bind)
    }

    @Test func aSecondConsumerIsBoundWithoutStagingAgain() throws {
        let f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a"), b = try f.consumer("b")
        try f.core.publish(f.definition, to: .init(target: a))
        let before = f.mounter.requests.count
        try f.core.publish(f.definition, to: .init(target: b))
        #expect(f.mounter.requests.count == before + 1)
        #expect(f.mounter.requests.last?.target == b)
        #expect(f.stagingMounts.count == 1)
        #expect(try f.consumerCount == 2)
    }

    @Test func unpublishOfOneConsumerKeepsTheStagingMount() throws {
        let f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a"), b = try f.consumer("b")
        try f.core.publish(f.definition, to: .init(target: a))
        try f.core.publish(f.definition, to: .init(target: b))
        try f.core.unpublish(a)
        #expect(!f.isMounted(a))
        #expect(f.isMounted(b))
        #expect(f.stagingMounts.count == 1)
        #expect(try f.consumerCount == 1)
    }

    @Test func unpublishOfTheLastConsumerReleasesTheStagingMount() throws {
        let f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a")
        try f.core.publish(f.definition, to: .init(target: a))
        let staging = try f.staging
        try f.core.unpublish(a)
        #expect(f.mounter.unmounted == [a, staging])
        #expect(f.stagingMounts.isEmpty)
        #expect(StagingRecord.load(f.core.state.recordPath(try f.key)) == nil)
        #expect(!FileManager.default.fileExists(atPath: staging), "the staging dir is removed")
        #expect(FileManager.default.fileExists(atPath: f.host), "the host directory stays")
    }

    @Test func publishToATargetThatAlreadyShowsTheVolumeChangesNothing() throws {
        let f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a")
        try f.core.publish(f.definition, to: .init(target: a))
        let requests = f.mounter.requests.count, entries = f.mounter.entries
        try f.core.publish(f.definition, to: .init(target: a))
        #expect(f.mounter.requests.count == requests)
        #expect(f.mounter.entries == entries)
    }

    @Test func aTargetWithAnotherFileSystemMountedIsAConflict() throws {
        let f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a")
        f.mounter.add(MountEntry(id: 500, parentID: 1, major: 0, minor: 77, root: "/", mountPoint: a, options: ["rw"],
                                 optionalFields: [], fsType: "tmpfs", source: "tmpfs", superOptions: ["rw"]))
        let error = #expect(throws: MoorError.self) { try f.core.publish(f.definition, to: .init(target: a)) }
        #expect(error?.kind == .conflict)
        #expect(f.mounter.entries.filter { $0.mountPoint == a }.count == 1, "the other mount is left alone")
    }

    @Test func aFailedBindReleasesWhatWasStaged() throws {
        let f = try BindFixture(); defer { f.remove() }
        let a = try f.consumer("a")
        f.mounter.fail = { request in
            guard request.target == a else { return nil }
            return SystemCallError("mount", request.target, .permissionDenied)
        }
        #expect(throws: SystemCallError.self) { try f.core.publish(f.definition, to: .init(target: a)) }
        #expect(f.mounter.unmounted == [try f.staging])
        #expect(f.stagingMounts.isEmpty)
        #expect(!f.isMounted(a))
        #expect(StagingRecord.load(f.core.state.recordPath(try f.key)) == nil)
    }

    @Test func unpublishOfAMissingDirectoryIsSuccess() throws {
        let f = try BindFixture(); defer { f.remove() }
        try f.core.unpublish(f.dir.path + "/pods/never-made")
        #expect(f.mounter.unmounts.isEmpty)
    }

    @Test func unpublishOfADirectoryWithNothingMountedIsSuccess() throws {
        let f = try BindFixture(); defer { f.remove() }
        try f.core.unpublish(try f.consumer("a"))
        #expect(f.mounter.unmounts.isEmpty)
    }
}
