import Logging
import MoorTestSupport
import SystemPackage
import Testing
@testable import MoorCore

/// Named volumes with a `bind` volume of a temp dir and a `FakeMounter`:
/// definitions, conflicts, and Mount-ID reference counting.
@Suite struct VolumeServiceTests {
    static func service(_ f: BindFixture) throws -> VolumeService {
        let service = VolumeService(core: f.core, owner: "docker", logger: Logger(label: "test"))
        try service.load()
        return service
    }

    @Test func aCreatedVolumeIsListedAndNotMounted() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let snapshot = try #require(service.get("v"))
        #expect(snapshot.type == .bind)
        #expect(!snapshot.isMounted)
        #expect(snapshot.mountpoint == service.mountpoint(VolumeName("v")!))
        #expect(service.list().map(\.record.name) == ["v"])
        #expect(service.get("w") == nil)
        #expect(f.mounter.requests.isEmpty, "create mounts nothing")
    }

    @Test func creatingAgainWithTheSameOptionsIsFine() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        try service.create("v", options: ["type": "bind", "path": f.host])
        #expect(service.list().count == 1)
    }

    @Test func creatingAgainWithDifferentOptionsIsAConflict() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let error = #expect(throws: MoorError.self) {
            try service.create("v", options: ["type": "bind", "path": f.host, "readOnly": "true"])
        }
        #expect(error?.kind == .conflict)
        #expect(service.get("v")?.record.options["readOnly"] == nil, "the first definition stays")
    }

    @Test func removeForgetsTheVolumeAndAnUnknownNameIsAlreadyRemoved() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        try service.remove("v")
        #expect(service.get("v") == nil)
        #expect(service.list().isEmpty)
        try service.remove("v")
        #expect(try Self.service(f).get("v") == nil, "and it is gone after a restart")
    }

    @Test func theFirstReferenceMountsAndTheLastUnmounts() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let target = try service.mount("v", id: "c1")
        #expect(f.isMounted(target))
        let requests = f.mounter.requests.count
        #expect(try service.mount("v", id: "c2") == target)
        #expect(f.mounter.requests.count == requests, "a second reference mounts nothing")
        #expect(service.get("v")?.record.references == 2)
        try service.unmount("v", id: "c1")
        #expect(f.isMounted(target))
        try service.unmount("v", id: "c2")
        #expect(!f.isMounted(target))
        #expect(f.stagingMounts.isEmpty, "the staging mount goes with the last consumer")
        #expect(service.get("v")?.isMounted == false)
    }

    @Test func theSameMountIDTwiceHoldsTwoReferences() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let target = try service.mount("v", id: "c1")
        _ = try service.mount("v", id: "c1")
        try service.unmount("v", id: "c1")
        #expect(f.isMounted(target))
        try service.unmount("v", id: "c1")
        #expect(!f.isMounted(target))
    }

    @Test func unmountOfAnUnknownMountIDChangesNothing() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let target = try service.mount("v", id: "c1")
        try service.unmount("v", id: "never-mounted")
        #expect(f.isMounted(target))
        #expect(service.get("v")?.record.mountIDs == ["c1": 1])
    }

    @Test func mountAndUnmountOfAnUnknownVolumeAreNotFound() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        #expect(throws: MoorError.self) { _ = try service.mount("nope", id: "c1") }
        let error = #expect(throws: MoorError.self) { try service.unmount("nope", id: "c1") }
        #expect(error?.kind == .notFound)
    }

    @Test func removeIsRefusedWhileTheVolumeIsReferenced() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let target = try service.mount("v", id: "c1")
        let error = #expect(throws: MoorError.self) { try service.remove("v") }
        #expect(error?.kind == .busy)
        #expect(service.get("v") != nil)
        #expect(f.isMounted(target))
    }

    @Test func aFailedMountLeavesNoReference() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let target = service.mountpoint(VolumeName("v")!)
        f.mounter.fail = { $0.target == target ? SystemCallError("mount", target, .permissionDenied) : nil }
        #expect(throws: SystemCallError.self) { _ = try service.mount("v", id: "c1") }
        #expect(service.get("v")?.record.references == 0)
        #expect(f.stagingMounts.isEmpty)
    }

    @Test func referencesOfAMountedVolumeSurviveARestart() throws {
        let f = try BindFixture(); defer { f.remove() }
        let service = try Self.service(f)
        try service.create("v", options: ["type": "bind", "path": f.host])
        let target = try service.mount("v", id: "c1")
        let restarted = try Self.service(f)
        #expect(restarted.get("v")?.record.mountIDs == ["c1": 1])
        #expect(f.isMounted(target))
    }
}
