import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// What a kill at a precise point (`MOOR_FAILPOINT`) leaves behind, and
/// that the next call heals it (issue 11, items 4 and 8), through both
/// front doors, on real loop devices.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(5)))
struct CrashLeftoverTests {
    func sparse(_ name: String) -> [String: String] {
        var options = Kubelet.podOptions(pv: name)
        options["size"] = "16M"
        return options
    }

    func crashing(_ root: TempRoot, at point: String) -> Kubelet {
        Kubelet(environment: root.environment.merging(["MOOR_FAILPOINT": point + "=kill"]) { $1 })
    }

    /// Item 4: the old `Remove` deleted the image and left the loop, and
    /// the next volume of that name was written to the deleted inode, so
    /// its data was gone at the next mount.
    @Test func aLoopBoundToADeletedImageIsNeverReused() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(throws: Kubelet.ReplyError.self, "killed between loop attach and mount") {
            try crashing(root, at: "loop.attached").mount(a, sparse("lost"))
        }
        let stale = Loop.devices(under: root.path)
        #expect(stale.count == 1)
        // What the old Remove did: the image goes, the loop stays.
        try FileManager.default.removeItem(atPath: root.stateDir + "/disks/lost.img")
        #expect(Loop.boundToDeletedFiles(under: root.path) == stale)

        #expect(try kubelet.mount(a, sparse("lost")).status == "Success")
        #expect(Loop.boundToDeletedFiles(under: root.path).isEmpty, "the unused loop on the deleted image is detached")
        #expect(try FileManager.default.contentsOfDirectory(atPath: a).isEmpty, "a fresh volume")
        try "kept\n".write(toFile: a + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(Loop.devices(under: root.path).isEmpty)

        #expect(try kubelet.mount(b, sparse("lost")).status == "Success")
        #expect(try String(contentsOfFile: b + "/f", encoding: .utf8) == "kept\n", "the data went to the image, not a deleted inode")
        #expect(try kubelet.unmount(b).status == "Success")
    }

    @Test func aMountedLoopOnADeletedImageIsRefusedNotReused() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        #expect(throws: Kubelet.ReplyError.self) { try crashing(root, at: "loop.attached").mount(a, sparse("held")) }
        let stale = try #require(Loop.devices(under: root.path).first)
        try FileManager.default.removeItem(atPath: root.stateDir + "/disks/held.img")
        // Someone mounted the orphan meanwhile: its data is reachable, so it stays.
        try Shell.run("/sbin/mkfs.ext4", ["-q", stale])
        let elsewhere = root.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try Shell.run("/bin/mount", [stale, elsewhere])

        let refused = try kubelet.mount(a, sparse("held"))
        #expect(refused.status == "Failure")
        #expect(refused.message.contains("\(stale) is still bound to an earlier, deleted copy"), "\(refused.message)")
        #expect(try !root.mountTable().isMountPoint(a))
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path) == [stale], "no loop on the new image is left either")

        try Shell.run("/bin/umount", [elsewhere])
        #expect(try kubelet.mount(a, sparse("held")).status == "Success")
        #expect(Loop.boundToDeletedFiles(under: root.path).isEmpty)
    }

    /// A kill between loop attach and mount, then moord's restart and Remove.
    @Test func removeAfterAKillBetweenLoopAttachAndMountLeavesNoLoopBound() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root, environment: ["MOOR_FAILPOINT": "loop.attached=kill"]); defer { moord.stop() }
        #expect(try moord.client.call("/VolumeDriver.Create", body: #"{"Name":"v","Opts":{"size":"16M"}}"#).err == "")
        #expect(try moord.client.call("/VolumeDriver.Mount", body: #"{"Name":"v","ID":"c1"}"#).status == 0, "moord died")
        moord.kill9()
        #expect(Loop.devices(under: root.path).count == 1)

        moord.environment = [:]
        try moord.start()
        #expect(Loop.devices(under: root.path).isEmpty, "moord's start detaches a loop nothing mounts")
        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"v"}"#).err == "")
        #expect(Loop.devices(under: root.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.stateDir + "/disks/v.img"))
    }

    /// The same leftover met by a running moord: Remove detaches it first.
    @Test func removeDetachesALoopAKilledMoorLeftOnTheImage() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        // Docker's volume and a pod share the disk, as the policy allows.
        try root.writePolicy(#"{"sharedDisks": ["v"]}"#)
        let moord = try Moord(root: root); defer { moord.stop() }
        #expect(try moord.client.call("/VolumeDriver.Create", body: #"{"Name":"v","Opts":{"size":"16M"}}"#).err == "")
        var options = sparse("pv-v")
        options["name"] = "v"
        #expect(throws: Kubelet.ReplyError.self) { try crashing(root, at: "loop.attached").mount(try root.podDir("a"), options) }
        #expect(Loop.devices(under: root.path).count == 1)

        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"v"}"#).err == "")
        #expect(Loop.devices(under: root.path).isEmpty, "Remove detached it before deleting the image")
        #expect(Loop.boundToDeletedFiles(under: root.path).isEmpty)
    }

    /// Item 8: a kill between stage and bind leaves a staging mount no
    /// consumer uses; moord's restart releases it and Remove succeeds.
    @Test(arguments: ["stage.mounted", "stage.recorded"])
    func aKillBetweenStageAndBindIsReleasedByMoordsRestart(point: String) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root, environment: ["MOOR_FAILPOINT": point + "=kill"]); defer { moord.stop() }
        #expect(try moord.client.call("/VolumeDriver.Create", body: #"{"Name":"v","Opts":{"size":"16M"}}"#).err == "")
        #expect(try moord.client.call("/VolumeDriver.Mount", body: #"{"Name":"v","ID":"c1"}"#).status == 0, "moord died")
        moord.kill9()
        #expect(try root.stagingMounts().count == 1, "the kill left the staging mount")

        moord.environment = [:]
        try moord.start()
        #expect(try root.stagingMounts().isEmpty, "released at start")
        #expect(Loop.devices(under: root.path).isEmpty)
        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"v"}"#).err == "")
        #expect(!FileManager.default.fileExists(atPath: root.stateDir + "/disks/v.img"))
    }

    /// A kill after the bind leaves what a Mount whose answer was lost
    /// would: a referenced mount, kept across the restart, that Unmount
    /// releases; Remove is refused until then.
    @Test func aKillAfterTheBindIsKeptUntilUnmount() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root, environment: ["MOOR_FAILPOINT": "bind.done=kill"]); defer { moord.stop() }
        let mountpoint = root.stateDir + "/mounts/v"
        #expect(try moord.client.call("/VolumeDriver.Create", body: #"{"Name":"v","Opts":{"size":"16M"}}"#).err == "")
        #expect(try moord.client.call("/VolumeDriver.Mount", body: #"{"Name":"v","ID":"c1"}"#).status == 0, "moord died")
        moord.kill9()

        moord.environment = [:]
        try moord.start()
        #expect(try root.mountTable().isMountPoint(mountpoint), "referenced, so kept")
        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"v"}"#).err?.contains("in use") == true)
        #expect(try moord.client.call("/VolumeDriver.Unmount", body: #"{"Name":"v","ID":"c1"}"#).err == "")
        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"v"}"#).err == "")
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty)
    }

    /// The same leftover from a killed `moor`: the next call for that
    /// source releases it, under its lock, instead of "in use" forever.
    @Test func removeReleasesAStagingMountAKilledMoorLeft() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        // Docker's volume and a pod share the disk, as the policy allows.
        try root.writePolicy(#"{"sharedDisks": ["v"]}"#)
        let moord = try Moord(root: root); defer { moord.stop() }
        #expect(try moord.client.call("/VolumeDriver.Create", body: #"{"Name":"v","Opts":{"size":"16M"}}"#).err == "")
        var options = sparse("pv-v")
        options["name"] = "v"
        #expect(throws: Kubelet.ReplyError.self) { try crashing(root, at: "stage.recorded").mount(try root.podDir("a"), options) }
        #expect(try root.stagingMounts().count == 1)

        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"v"}"#).err == "")
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.stateDir + "/disks/v.img"))
    }

    /// A pod's next mount of the source reuses the leftover staging mount,
    /// with the data it holds, and its unmount releases everything.
    @Test func theNextPublishOfTheSameSourceReusesALeftoverStagingMount() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(try kubelet.mount(a, sparse("pv-r")).status == "Success")
        try "before\n".write(toFile: a + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(throws: Kubelet.ReplyError.self) { try crashing(root, at: "stage.recorded").mount(b, sparse("pv-r")) }
        #expect(try root.stagingMounts().count == 1)

        #expect(try kubelet.mount(b, sparse("pv-r")).status == "Success")
        #expect(try String(contentsOfFile: b + "/f", encoding: .utf8) == "before\n")
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty)
    }
}
