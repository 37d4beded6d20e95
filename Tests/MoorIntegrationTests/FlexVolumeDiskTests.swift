import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// The `moor` binary driven exactly as kubelet drives it, on real loop
/// devices, real mkfs and real mounts.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(5)))
struct FlexVolumeDiskTests {
    func sparse(_ pv: String, size: String = "32M", readWrite: String = "rw", extra: [String: String] = [:]) -> [String: String] {
        var options = Kubelet.podOptions(pv: pv, readWrite: readWrite)
        options["size"] = size
        options.merge(extra) { $1 }
        return options
    }

    @Test func dataWrittenInOnePodIsThereAfterRemountInAnother() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")

        #expect(try kubelet.mount(a, sparse("pv-data")).status == "Success")
        try "hello from a\n".write(toFile: a + "/file", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try root.stagingMounts().isEmpty, "the last consumer's unmount releases the staging mount")
        #expect(Loop.devices(under: root.path).isEmpty, "and detaches the loop device")
        #expect(!FileManager.default.fileExists(atPath: a + "/file"))

        #expect(try kubelet.mount(b, sparse("pv-data")).status == "Success")
        #expect(try String(contentsOfFile: b + "/file", encoding: .utf8) == "hello from a\n")
        #expect(try kubelet.unmount(b).status == "Success")
    }

    @Test func twoPodsShareOneStagingMountUntilTheSecondUnmount() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")

        #expect(try kubelet.mount(a, sparse("pv-shared")).status == "Success")
        #expect(try kubelet.mount(b, sparse("pv-shared")).status == "Success")
        let table = try root.mountTable()
        let staging = try root.stagingMounts()
        #expect(staging.count == 1)
        let device = try #require(staging.first).device
        #expect(table.mount(at: a)?.device == device)
        #expect(table.mount(at: b)?.device == device)
        #expect(table.mounts(of: device).count == 3, "one staging mount and two binds")

        try "x".write(toFile: a + "/through-a", atomically: false, encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: b + "/through-a"))

        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try root.stagingMounts().count == 1, "b still uses it")
        #expect(try root.mountTable().isMountPoint(b))
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty)
    }

    @Test func readOnlyConsumerGetsEROFSWhileTheOtherStillWrites() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let writer = try root.podDir("writer"), reader = try root.podDir("reader")

        #expect(try kubelet.mount(writer, sparse("pv-ro")).status == "Success")
        #expect(try kubelet.mount(reader, sparse("pv-ro", readWrite: "ro")).status == "Success")

        #expect(open(reader + "/nope", O_CREAT | O_WRONLY, 0o644) == -1)
        #expect(errno == EROFS)
        try "still writable".write(toFile: writer + "/yes", atomically: false, encoding: .utf8)
        #expect(try String(contentsOfFile: reader + "/yes", encoding: .utf8) == "still writable")
        #expect(try root.mountTable().mount(at: reader)?.isReadOnly == true)
        #expect(try root.mountTable().mount(at: writer)?.isReadOnly == false)
    }

    @Test func readOnlyOptionMakesEveryConsumerReadOnly() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        // A new sparse disk is moor's own zero-filled image: read-only, it starts empty.
        #expect(try kubelet.mount(a, sparse("pv-ro-new", extra: ["readOnly": "true"])).status == "Success")
        #expect(open(a + "/nope", O_CREAT | O_WRONLY, 0o644) == -1)
        #expect(errno == EROFS)

        #expect(try kubelet.mount(b, sparse("pv-ro2")).status == "Success")
        try "kept".write(toFile: b + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(try kubelet.mount(b, sparse("pv-ro2", extra: ["readOnly": "true"])).status == "Success")
        #expect(try String(contentsOfFile: b + "/f", encoding: .utf8) == "kept")
        #expect(open(b + "/nope", O_CREAT | O_WRONLY, 0o644) == -1)
        #expect(errno == EROFS)
        #expect(try root.stagingMounts().allSatisfy(\.isReadOnly), "the staging mounts are read-only too")
    }

    @Test func mountAndUnmountAreIdempotent() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        #expect(try kubelet.mount(a, sparse("pv-idem")).status == "Success")
        #expect(try kubelet.mount(a, sparse("pv-idem")).status == "Success")
        #expect(try root.mountTable().entries.filter { $0.mountPoint == a }.count == 1)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try kubelet.unmount(root.path + "/never-existed").status == "Success")
    }

    @Test func freshVolumeRootGetsUidGidModeAndFsGroup() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(try kubelet.mount(a, sparse("pv-owner", extra: ["uid": "1000", "gid": "1001", "mode": "0750"])).status == "Success")
        var info = stat()
        #expect(stat(a, &info) == 0)
        #expect(info.st_uid == 1000 && info.st_gid == 1001)
        #expect(info.st_mode & 0o7777 == 0o750)
        #expect(!FileManager.default.fileExists(atPath: a + "/lost+found"), "a fresh root is empty, as databases require")

        var withGroup = sparse("pv-owner", extra: ["uid": "1000", "gid": "1001", "mode": "0750"])
        withGroup["kubernetes.io/mounterArgs.FsGroup"] = "2000"
        #expect(try kubelet.mount(b, withGroup).status == "Success")
        #expect(stat(b, &info) == 0)
        #expect(info.st_gid == 2000)
        #expect(info.st_mode & 0o7777 == 0o2770, "setgid and group rwx, like fsGroupChangePolicy OnRootMismatch")
    }

    @Test func inlineVolumeIsNamedByTheNameOption() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        var options = Kubelet.podOptions(pv: "data")
        options["name"] = "team-a-data"
        options["size"] = "16M"
        #expect(try kubelet.mount(a, options).status == "Success")
        #expect(FileManager.default.fileExists(atPath: root.stateDir + "/disks/team-a-data.img"))
        #expect(!FileManager.default.fileExists(atPath: root.stateDir + "/disks/data.img"))
    }

    @Test func sizeIsEnforcedByTheSparseDisk() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        #expect(try kubelet.mount(a, sparse("pv-small", size: "16M")).status == "Success")
        let handle = try #require(FileHandle(forWritingAtPath: a + "/fill") ?? {
            FileManager.default.createFile(atPath: a + "/fill", contents: nil)
            return FileHandle(forWritingAtPath: a + "/fill")
        }())
        let chunk = Data(repeating: 0x5a, count: 1 << 20)
        #expect(throws: (any Error).self) {
            for _ in 0..<64 { try handle.write(contentsOf: chunk) }
            try handle.synchronize()
        }
        try? handle.close()
        let image = try FileManager.default.attributesOfItem(atPath: root.stateDir + "/disks/pv-small.img")
        #expect((image[.size] as? Int) == 16 << 20)
    }

    // MARK: staging without helpers: ioctl loop devices, the superblock read directly

    /// `dumpe2fs -h` of a disk image, as field → value.
    static func superblock(_ image: String) throws -> [String: String] {
        let text = try Shell.run("/sbin/dumpe2fs", ["-h", image])
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    @Test func cleanDiskIsStagedWithoutFsckAndItsLoopDeviceIsMoors() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(try kubelet.mount(a, sparse("pv-clean")).status == "Success")
        try "kept\n".write(toFile: a + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(Loop.devices(under: root.path).isEmpty, "detached on release")

        #expect(try kubelet.mount(b, sparse("pv-clean")).status == "Success")
        #expect(try String(contentsOfFile: b + "/f", encoding: .utf8) == "kept\n", "never reformatted")
        #expect(root.logText().contains("fsck skipped: ext4 cleanly unmounted"))
        #expect(!root.logText().contains("checking file system"))
        let device = try #require(Loop.devices(under: root.path).first)
        let name = device.split(separator: "/").last.map(String.init) ?? ""
        #expect(try Sys.readText("/sys/block/\(name)/loop/backing_file") == root.stateDir + "/disks/pv-clean.img\n")
        #expect(try Sys.readText("/sys/block/\(name)/loop/autoclear") == "0\n", "moor detaches it itself")
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(Loop.devices(under: root.path).isEmpty)
    }

    @Test func diskWithRecordedErrorsIsCheckedBeforeItIsMounted() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let image = root.stateDir + "/disks/pv-errors.img"
        #expect(try kubelet.mount(a, sparse("pv-errors")).status == "Success")
        try "kept\n".write(toFile: a + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")
        try Shell.run("/sbin/debugfs", ["-w", "-R", "ssv state 3", image])
        #expect(try Self.superblock(image)["Filesystem state"] == "clean with errors")

        #expect(try kubelet.mount(a, sparse("pv-errors")).status == "Success")
        #expect(root.logText().contains("errors recorded"))
        #expect(try String(contentsOfFile: a + "/f", encoding: .utf8) == "kept\n")
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try Self.superblock(image)["Filesystem state"] == "clean", "fsck ran and cleared the error state")
    }

    @Test func diskPastItsMaximalMountCountIsChecked() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let image = root.stateDir + "/disks/pv-count.img"
        #expect(try kubelet.mount(a, sparse("pv-count")).status == "Success")
        #expect(try kubelet.unmount(a).status == "Success")
        try Shell.run("/sbin/tune2fs", ["-c", "3", "-C", "3", image])

        #expect(try kubelet.mount(a, sparse("pv-count")).status == "Success")
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(root.logText().contains("maximal mount count reached"))
        #expect(try Self.superblock(image)["Mount count"] == "1", "fsck reset the count; the mount made it 1")
    }

    /// A partition-table signature written beside the image's ext4 sends it
    /// to blkid, which sees both: refused, and the data is still there.
    @Test func diskImageWithAPartitionTableIsRefusedNotFormatted() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let image = root.stateDir + "/disks/pv-table.img"
        #expect(try kubelet.mount(a, sparse("pv-table")).status == "Success")
        try "kept\n".write(toFile: a + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")
        let handle = try #require(FileHandle(forUpdatingAtPath: image))
        try handle.seek(toOffset: 510)
        try handle.write(contentsOf: Data([0x55, 0xAA]))

        let refused = try kubelet.mount(a, sparse("pv-table"))
        #expect(refused.status == "Failure")
        #expect(refused.message.contains("partition table"))
        #expect(Loop.devices(under: root.path).isEmpty, "the loop device is detached after the failed stage")

        try handle.seek(toOffset: 510)
        try handle.write(contentsOf: Data([0, 0]))
        try handle.close()
        #expect(try kubelet.mount(a, sparse("pv-table")).status == "Success")
        #expect(try String(contentsOfFile: a + "/f", encoding: .utf8) == "kept\n")
    }

    /// ext4 on a loop device is mounted with mount(2): the kernel's refusal
    /// of an option still reaches the user as a clear message.
    @Test func unknownMountOptionIsAClearError() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let refused = try kubelet.mount(a, sparse("pv-opt", extra: ["mountOptions": "noatime,no_such_option"]))
        #expect(refused.status == "Failure")
        #expect(refused.message.contains("mount option"), "\(refused.message)")
        #expect(Loop.devices(under: root.path).isEmpty)
        #expect(try kubelet.mount(a, sparse("pv-opt", extra: ["mountOptions": "noatime,nodev"])).status == "Success")
        #expect(try root.mountTable().mount(at: a) != nil)
        #expect(try root.stagingMounts().first.map { $0.options.contains("noatime") && $0.options.contains("nodev") } == true)
    }

    /// XFS on a sparse disk: recognised from the image and mounted with
    /// mount(2); an XFS volume is still never reformatted as ext4.
    @Test func xfsDiskKeepsItsDataAcrossStagings() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let xfs = sparse("pv-xfs", size: "320M", extra: ["fsType": "xfs"])
        #expect(try kubelet.mount(a, xfs).status == "Success")
        #expect(try root.stagingMounts().first?.fsType == "xfs")
        try "kept\n".write(toFile: a + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")

        #expect(try kubelet.mount(a, xfs).status == "Success")
        #expect(try String(contentsOfFile: a + "/f", encoding: .utf8) == "kept\n")
        #expect(try kubelet.unmount(a).status == "Success")
        let refused = try kubelet.mount(a, sparse("pv-xfs", size: "320M", extra: ["fsType": "ext4"]))
        #expect(refused.status == "Failure")
        #expect(refused.message.contains("xfs"))
        #expect(Loop.devices(under: root.path).isEmpty)
    }
}
