import Testing
@testable import MoorCore

@Suite struct DiskSpecTests {
    @Test func nameOptionOverridesTheFallbackName() throws {
        let definition = try VolumeDefinition.parse(["name": "own"], name: "pv")
        #expect(definition.disk?.name == VolumeName("own"))
    }

    @Test(arguments: ["../etc", "a/b", ".hidden", "-flag", "with space", String(repeating: "a", count: VolumeName.maxLength + 1)])
    func invalidNameIsRefused(name: String) throws {
        let error = try #require(parseError(["name": name]))
        #expect(error.key == "name")
        #expect(error.problem.isMalformed)
        #expect(try #require(parseError([:], name: name)).key == "name")
    }

    @Test func deviceDiskNeedsNoName() throws {
        let definition = try VolumeDefinition.parse(["device": "/dev/disk/by-id/nvme-Samsung_1"])
        let disk = try #require(definition.disk)
        #expect(disk.backing == .device("/dev/disk/by-id/nvme-Samsung_1"))
        #expect(disk.name == nil)
    }

    @Test func deviceDiskIgnoresTheFallbackName() throws {
        // A PV name that is no valid VolumeName must not fail a device disk.
        let definition = try VolumeDefinition.parse(["device": "/dev/sdb"], name: "pv:odd/name")
        #expect(definition.disk?.backing == .device("/dev/sdb"))
        #expect(definition.disk?.name == nil)
    }

    @Test func deviceDiskKeepsAnExplicitName() throws {
        #expect(try VolumeDefinition.parse(["device": "/dev/sdb", "name": "data"]).disk?.name == VolumeName("data"))
        #expect(try #require(parseError(["device": "/dev/sdb", "name": "../x"])).key == "name")
    }

    @Test(arguments: ["/tmp/disk.img", "/dev/../etc/shadow", "/dev//sda", "dev/sda", "/dev", "/dev/", "/dev/./sda",
                      "/dev/sd\na", "/devices/sda"])
    func deviceMustBeACleanPathUnderDev(device: String) throws {
        let error = try #require(parseError(["device": device]))
        #expect(error.key == "device")
        #expect(error.problem.isMalformed)
    }

    @Test func deviceAndSizeConflict() throws {
        let error = try #require(parseError(["device": "/dev/sdb", "size": "10G"], name: "v1"))
        #expect(error.key == "size")
        #expect(error.problem.isConflict)
        #expect(error.userMessage.contains("'device'"))
    }

    @Test(arguments: [("64M", UInt64(64) << 20), ("10G", UInt64(10) << 30), ("512Mi", UInt64(512) << 20),
                      ("1073741824", UInt64(1) << 30), ("1M", UInt64(1) << 20)])
    func sizeIsParsed(text: String, bytes: UInt64) throws {
        let definition = try VolumeDefinition.parse(["size": text], name: "v1")
        #expect(definition.disk?.backing == .sparseFile(bytes: bytes))
    }

    @Test(arguments: ["abc", "0", "-5M", "10Q", "1.5G", "512K", "1048575", "2P", "1025T", "10 G", "G"])
    func badSizeNamesTheSizeKey(text: String) throws {
        let error = try #require(parseError(["size": text], name: "v1"))
        #expect(error.key == "size")
        #expect(error.problem.isMalformed)
        #expect(error.userMessage.contains("64M"))
    }

    @Test(arguments: ["ext4", "xfs"])
    func supportedFileSystemsAreAccepted(fsType: String) throws {
        #expect(try VolumeDefinition.parse(["fsType": fsType], name: "v1").disk?.fsType == fsType)
    }

    @Test(arguments: ["btrfs", "EXT4", "ext4 "])
    func otherFileSystemsAreRefused(fsType: String) throws {
        let error = try #require(parseError(["fsType": fsType], name: "v1"))
        #expect(error.key == "fsType")
        #expect(error.userMessage.contains("ext4, xfs"))
    }

    @Test func mkfsFlagsWithValuesAreAccepted() throws {
        let definition = try VolumeDefinition.parse(["mkfsOptions": "-E lazy_itable_init=1 -b 4096"], name: "v1")
        #expect(definition.disk?.mkfsOptions == ["-E", "lazy_itable_init=1", "-b", "4096"])
    }

    @Test func mkfsOptionsCollapseRepeatedSpaces() throws {
        let definition = try VolumeDefinition.parse(["mkfsOptions": "-b  4096 "], name: "v1")
        #expect(definition.disk?.mkfsOptions == ["-b", "4096"])
    }

    @Test(arguments: ["/dev/sda", "-b 4096 /dev/sda", "-b 4096 extra", "sda", "-L 'my disk'", "-L \"x\"",
                      "-E\tx", "-b ../x", "-d /srv", #"-L a\b"#])
    func mkfsPositionalsAndPathsAreRefused(text: String) throws {
        let error = try #require(parseError(["mkfsOptions": text], name: "v1"))
        #expect(error.key == "mkfsOptions")
        #expect(error.problem.isMalformed)
    }
}
