import Foundation
import MoorTestSupport
import Testing
@testable import MoorCore

@Suite struct SafeFormatTests {
    static let device = "/dev/loop7"
    static let target = "/var/lib/moor/staging/disk-v1-0123456789abcdef"

    struct Run {
        let runner: ScriptedRunner
        let mounter = FakeMounter()
        var safeFormat: SafeFormat { SafeFormat(runner: runner, mounter: mounter) }

        init(blkid: (Int32, String), fsck: Int32 = 0, mkfs: Int32 = 0) {
            runner = ScriptedRunner([
                "blkid": (blkid.0, blkid.1),
                "fsck": (fsck, ""),
                "mkfs.ext4": (mkfs, ""),
                "mkfs.xfs": (mkfs, ""),
            ])
        }

        func formatAndMount(fsType: String? = nil, mkfsOptions: [String] = [], mountOptions: MountOptionList = MountOptionList(),
                            readOnly: Bool = false, inUse: Bool = false) throws -> Bool {
            try safeFormat.formatAndMount(
                .init(device: device, target: target, fsType: fsType, mkfsOptions: mkfsOptions,
                      mountOptions: mountOptions, readOnly: readOnly, inUse: inUse),
                deadline: Deadline(.seconds(30)))
        }

        /// The one file-system mount made, as (source, target, type, options).
        func mounted() throws -> (source: String, target: String, type: String, options: [String]) {
            let requests = mounter.requests
            try #require(requests.count == 1)
            guard case .fileSystem(let type, let options) = requests[0].kind else {
                Issue.record("expected a file-system mount")
                throw MoorError(.system, "not a file-system mount")
            }
            return (requests[0].source, requests[0].target, type, options.options)
        }

        var ranMkfs: Bool { runner.programs.contains { $0.hasPrefix("mkfs") } }
    }

    static func moorError(_ body: () throws -> Bool) -> MoorError? {
        do { _ = try body(); return nil } catch { return error as? MoorError }
    }

    @Test func probeAsksBlkidForTypeAndPartitionTable() throws {
        let run = Run(blkid: (2, ""))
        _ = try run.formatAndMount()
        #expect(run.runner.arguments(of: "blkid") == ["-p", "-s", "TYPE", "-s", "PTTYPE", "-o", "export", "--", Self.device])
    }

    @Test func blankDeviceIsFormattedExt4ThenMounted() throws {
        let run = Run(blkid: (2, ""))
        let created = try run.formatAndMount()
        #expect(created)
        #expect(run.runner.programs == ["blkid", "mkfs.ext4"])
        let mkfs = try #require(run.runner.arguments(of: "mkfs.ext4"))
        #expect(mkfs == ["-F", "-m0", Self.device])
        #expect(mkfs.last == Self.device)
        let mount = try run.mounted()
        #expect(mount.source == Self.device)
        #expect(mount.target == Self.target)
        #expect(mount.type == "ext4")
        #expect(mount.options == [])
    }

    @Test func mkfsOptionsGoBetweenTheForceFlagsAndTheDevice() throws {
        let run = Run(blkid: (2, ""))
        _ = try run.formatAndMount(mkfsOptions: ["-E", "lazy_itable_init=1"])
        #expect(run.runner.arguments(of: "mkfs.ext4") == ["-F", "-m0", "-E", "lazy_itable_init=1", Self.device])
    }

    @Test func blankDeviceWithXfsRequestedIsFormattedXfs() throws {
        let run = Run(blkid: (2, ""))
        #expect(try run.formatAndMount(fsType: "xfs"))
        #expect(run.runner.arguments(of: "mkfs.xfs") == ["-f", Self.device])
        #expect(try run.mounted().type == "xfs")
    }

    @Test func existingExt4IsCheckedAndMountedWithoutMkfs() throws {
        let run = Run(blkid: (0, "TYPE=ext4\n"))
        let created = try run.formatAndMount()
        #expect(created == false)
        #expect(!run.ranMkfs)
        #expect(run.runner.programs == ["blkid", "fsck"])
        #expect(run.runner.arguments(of: "fsck") == ["-a", "-t", "ext4", Self.device])
        #expect(try run.mounted().type == "ext4")
    }

    @Test func existingFileSystemMatchingTheRequestIsMounted() throws {
        let run = Run(blkid: (0, "TYPE=xfs\n"))
        #expect(try run.formatAndMount(fsType: "xfs") == false)
        #expect(try run.mounted().type == "xfs")
    }

    @Test(arguments: ["PTTYPE=dos\n", "PTTYPE=gpt\n", "TYPE=ext4\nPTTYPE=dos\n", "", "UUID=1234\n"])
    func partitionTableOrUnknownDataIsNeverFormattedOrMounted(blkidOutput: String) throws {
        let run = Run(blkid: (0, blkidOutput))
        let error = try #require(Self.moorError { try run.formatAndMount() })
        #expect(error.kind == .dataProtected)
        #expect(error.message.contains(Self.device))
        #expect(!run.ranMkfs)
        #expect(!run.runner.programs.contains("fsck"))
        #expect(run.mounter.requests.isEmpty)
    }

    @Test func existingXfsWithExt4RequestedIsRefused() throws {
        let run = Run(blkid: (0, "TYPE=xfs\n"))
        let error = try #require(Self.moorError { try run.formatAndMount(fsType: "ext4") })
        #expect(error.kind == .dataProtected)
        #expect(error.message.contains("xfs"))
        #expect(error.message.contains("fsType=ext4"))
        #expect(!run.ranMkfs)
        #expect(run.mounter.requests.isEmpty)
    }

    @Test func blankReadOnlyDeviceIsAnErrorNotAFormat() throws {
        let run = Run(blkid: (2, ""))
        let error = try #require(Self.moorError { try run.formatAndMount(readOnly: true) })
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("read-only"))
        #expect(!run.ranMkfs)
        #expect(run.mounter.requests.isEmpty)
    }

    /// Only for a disk image moor created itself, which can hold nothing but zeros.
    @Test func blankReadOnlyDeviceIsFormattedWhenAllowedAndMountedRo() throws {
        let run = Run(blkid: (2, ""))
        var request = SafeFormat.Request(device: Self.device, target: Self.target, fsType: nil, readOnly: true)
        request.formatBlankWhenReadOnly = true
        #expect(try run.safeFormat.formatAndMount(request, deadline: Deadline(.seconds(30))))
        #expect(run.runner.arguments(of: "mkfs.ext4") == ["-F", "-m0", Self.device])
        #expect(try run.mounted().options == ["ro"])
    }

    @Test func fsckExitFourRefusesTheMount() throws {
        let run = Run(blkid: (0, "TYPE=ext4\n"), fsck: 4)
        let error = try #require(Self.moorError { try run.formatAndMount() })
        #expect(error.kind == .dataProtected)
        #expect(error.message.contains("fsck"))
        #expect(run.mounter.requests.isEmpty)
    }

    @Test(arguments: [Int32(1), 2, 3, 8])
    func fsckOtherExitCodesStillMount(status: Int32) throws {
        let run = Run(blkid: (0, "TYPE=ext4\n"), fsck: status)
        #expect(try run.formatAndMount() == false)
        #expect(try run.mounted().type == "ext4")
    }

    @Test func deviceInUseIsNotChecked() throws {
        let run = Run(blkid: (0, "TYPE=ext4\n"), fsck: 4)
        #expect(try run.formatAndMount(inUse: true) == false)
        #expect(!run.runner.programs.contains("fsck"))
        #expect(try run.mounted().type == "ext4")
    }

    @Test func readOnlyExistingFileSystemIsMountedRoWithoutFsck() throws {
        let run = Run(blkid: (0, "TYPE=ext4\n"))
        let options = try MountOptionList.parse("noatime").get()
        #expect(try run.formatAndMount(mountOptions: options, readOnly: true) == false)
        #expect(!run.runner.programs.contains("fsck"))
        #expect(try run.mounted().options == ["noatime", "ro"])
    }

    @Test func failingMkfsStopsBeforeMount() throws {
        let run = Run(blkid: (2, ""), mkfs: 1)
        #expect(throws: HelperError.self) { try run.formatAndMount() }
        #expect(run.mounter.requests.isEmpty)
    }

    @Test func failingBlkidIsAnErrorNotBlank() throws {
        let run = Run(blkid: (4, ""))
        let error = #expect(throws: HelperError.self) { try run.formatAndMount() }
        #expect(error?.status == 4)
        #expect(!run.ranMkfs)
        #expect(run.mounter.requests.isEmpty)
    }

    @Test func expiredDeadlineRunsNothing() throws {
        let run = Run(blkid: (2, ""))
        let error = #expect(throws: MoorError.self) {
            try run.safeFormat.formatAndMount(.init(device: Self.device, target: Self.target, fsType: nil), deadline: Deadline(.zero))
        }
        #expect(error?.kind == .timedOut)
        #expect(run.runner.commands.isEmpty)
    }

    // MARK: moor's own images: read directly, blkid and fsck only when needed

    /// A moor image (a real file made by the real mkfs.ext4, standing in
    /// for the loop device over it), staged with scripted helpers.
    struct ImageRun {
        let directory: TempDirectory
        let run: Run
        var image: String { directory.path + "/disk.img" }

        init(mkfs: Bool = true, blkid: (Int32, String) = (0, "TYPE=ext4\n"), fsck: Int32 = 0) throws {
            directory = try TempDirectory()
            run = Run(blkid: blkid, fsck: fsck)
            try Shell.run("/usr/bin/truncate", ["-s", "64M", image])
            if mkfs { try Shell.run("/sbin/mkfs.ext4", ["-q", "-F", image]) }
        }

        func formatAndMount(fsType: String? = nil, readOnly: Bool = false) throws -> Bool {
            var request = SafeFormat.Request(device: image, target: SafeFormatTests.target, fsType: fsType, readOnly: readOnly)
            request.isMoorImage = true
            request.formatBlankWhenReadOnly = true
            return try run.safeFormat.formatAndMount(request, deadline: Deadline(.seconds(30)))
        }

        func write(_ bytes: [UInt8], at offset: UInt64) throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: image))
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data(bytes))
            try handle.close()
        }

        func remove() { directory.remove() }
    }

    @Test func cleanExt4ImageIsMountedWithoutBlkidOrFsck() throws {
        let image = try ImageRun(); defer { image.remove() }
        #expect(try image.formatAndMount() == false)
        #expect(image.run.runner.programs.isEmpty, "no helper at all")
        #expect(try image.run.mounted().type == "ext4")
        #expect(image.run.mounter.requests.first?.localDevice == true, "mount(2) may be called directly")
    }

    @Test func ext4ImageWithRecordedErrorsIsChecked() throws {
        let image = try ImageRun(); defer { image.remove() }
        try Shell.run("/sbin/debugfs", ["-w", "-R", "ssv state 3", image.image])
        #expect(try image.formatAndMount() == false)
        #expect(image.run.runner.programs == ["fsck"], "blkid is not needed, fsck is")
        #expect(image.run.runner.arguments(of: "fsck") == ["-a", "-t", "ext4", image.image])
    }

    @Test func ext4ImageFsckCannotRepairIsRefused() throws {
        let image = try ImageRun(fsck: 4); defer { image.remove() }
        try Shell.run("/sbin/debugfs", ["-w", "-R", "ssv state 0", image.image])
        let error = try #require(Self.moorError { try image.formatAndMount() })
        #expect(error.kind == .dataProtected)
        #expect(image.run.mounter.requests.isEmpty)
    }

    @Test func dirtyExt4ImageMountedReadOnlyIsNotChecked() throws {
        let image = try ImageRun(); defer { image.remove() }
        try Shell.run("/sbin/debugfs", ["-w", "-R", "ssv state 0", image.image])
        #expect(try image.formatAndMount(readOnly: true) == false)
        #expect(image.run.runner.programs.isEmpty)
        #expect(try image.run.mounted().options == ["ro"])
    }

    @Test func ext4ImageIsNeverReformattedForAnotherFsType() throws {
        let image = try ImageRun(); defer { image.remove() }
        let error = try #require(Self.moorError { try image.formatAndMount(fsType: "xfs") })
        #expect(error.kind == .dataProtected)
        #expect(error.message.contains("ext4"))
        #expect(!image.run.ranMkfs)
        #expect(image.run.mounter.requests.isEmpty)
    }

    /// A stale partition table beside ext4: blkid is asked, as before, and
    /// its answer (both signatures) refuses the device.
    @Test func ext4ImageWithAPartitionTableGoesToBlkidAndIsRefused() throws {
        let image = try ImageRun(blkid: (0, "TYPE=ext4\nPTTYPE=dos\n")); defer { image.remove() }
        try image.write([0x55, 0xAA], at: 510)
        let error = try #require(Self.moorError { try image.formatAndMount() })
        #expect(image.run.runner.programs == ["blkid"])
        #expect(error.kind == .dataProtected)
        #expect(!image.run.ranMkfs)
        #expect(image.run.mounter.requests.isEmpty)
    }

    @Test func unknownSignatureInAnImageGoesToBlkidAndIsRefused() throws {
        let image = try ImageRun(mkfs: false, blkid: (0, "UUID=1234\n")); defer { image.remove() }
        try image.write(Array("LUKS".utf8) + [0xBA, 0xBE], at: 0)
        let error = try #require(Self.moorError { try image.formatAndMount() })
        #expect(image.run.runner.programs == ["blkid"])
        #expect(error.kind == .dataProtected)
        #expect(!image.run.ranMkfs)
    }

    @Test func blankImageIsConfirmedByBlkidBeforeMkfs() throws {
        let image = try ImageRun(mkfs: false, blkid: (2, "")); defer { image.remove() }
        #expect(try image.formatAndMount())
        #expect(image.run.runner.programs == ["blkid", "mkfs.ext4"])
    }
}
