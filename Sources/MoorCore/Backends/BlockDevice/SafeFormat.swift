#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Formats a device only when it is proven blank, checks a file system
/// before read-write use, then mounts it: the rules of mount-utils'
/// SafeFormatAndMount, which production drivers converge on.
public struct SafeFormat: Sendable {
    let runner: any CommandRunning
    let mounter: any Mounter
    let logger: Logger?
    /// Reads bytes of a device: `Sys.read` outside tests.
    let readDevice: @Sendable (_ device: String, _ offset: UInt64, _ count: Int) throws -> [UInt8]

    public init(runner: any CommandRunning, mounter: any Mounter, logger: Logger? = nil,
                readDevice: @escaping @Sendable (String, UInt64, Int) throws -> [UInt8] = { try Sys.read($0, offset: $1, count: $2) }) {
        self.runner = runner
        self.mounter = mounter
        self.logger = logger
        self.readDevice = readDevice
    }

    public enum Content: Equatable, Sendable {
        case blank
        case fileSystem(String)
        /// Partitions, or something blkid cannot name: never formatted.
        case partitionTable(String)
    }

    /// `blkid -p -s TYPE -s PTTYPE -o export`: exit 2 means nothing found.
    public func probe(_ device: String, deadline: Deadline) throws -> Content {
        let result = try runner.run(Command("blkid", ["-p", "-s", "TYPE", "-s", "PTTYPE", "-o", "export", "--", device],
                                            timeout: deadline.remaining(for: "blkid")))
        if result.status == 2 { return .blank }
        try result.check("blkid")
        var type: String?, table: String?
        for line in result.stdout.split(separator: "\n") {
            if line.hasPrefix("TYPE=") { type = String(line.dropFirst(5)) }
            if line.hasPrefix("PTTYPE=") { table = String(line.dropFirst(7)) }
        }
        if let table { return .partitionTable(table) }
        if let type { return .fileSystem(type) }
        return .partitionTable("unknown data")
    }

    public struct Request: Sendable {
        public var device: String
        public var target: String
        /// Requested type; nil means ext4 for a blank device, else what it holds.
        public var fsType: String?
        public var mkfsOptions: [String] = []
        public var mountOptions = MountOptionList()
        public var readOnly = false
        /// Format a blank device even for read-only use: only for a disk
        /// image moor itself created, which can hold nothing but zeros.
        public var formatBlankWhenReadOnly = false
        /// The device is already mounted somewhere: skip fsck, which must
        /// never run on a mounted file system.
        public var inUse = false
        /// The device is a loop device over moor's own sparse image: its
        /// first 64 KiB are read directly (ext4 and XFS need no blkid), a
        /// clean ext4 needs no fsck process, and mount(2) is called directly.
        public var isMoorImage = false
    }

    /// What `probe` found, and for ext4 recognised directly, its superblock.
    struct Probed {
        var content: Content
        var ext4: Ext4Superblock?
    }

    /// A moor image is first read directly; blkid answers everything that
    /// read does not recognise beyond doubt, exactly as for other devices.
    func probe(_ request: Request, deadline: Deadline) throws -> Probed {
        if request.isMoorImage, let head = try? readDevice(request.device, 0, SignatureScan.length) {
            // A stale partition table or other signature beside ext4/XFS sends
            // the device to blkid, which refuses it (see SignatureScan).
            switch SignatureScan.recognise(head) {
            case .ext4(let superblock)?: return Probed(content: .fileSystem("ext4"), ext4: superblock)
            case .xfs?: return Probed(content: .fileSystem("xfs"))
            case nil: break
            }
        }
        return Probed(content: try probe(request.device, deadline: deadline))
    }

    /// Whether fsck must run before a read-write mount. For an ext4 read
    /// directly, the same decision `e2fsck -p` makes before exiting clean
    /// (see `Ext4Superblock.checkReason`); every other file system is checked.
    func needsCheck(_ request: Request, type: String, ext4: Ext4Superblock?) -> Bool {
        guard let ext4 else { return true }
        let backup = ext4.firstBackupOffset.flatMap { offset in
            (try? readDevice(request.device, offset, Ext4Superblock.size)).flatMap { Ext4Superblock($0) }
        }
        if let reason = ext4.checkReason(now: Int64(time(nil)), backup: backup) {
            logger?.info("checking file system", metadata: ["device": "\(request.device)", "reason": "\(reason)"])
            return true
        }
        logger?.debug("fsck skipped: ext4 cleanly unmounted, no check due", metadata: ["device": "\(request.device)"])
        return false
    }

    /// Probes, formats if blank and read-write, fscks, mounts. Returns
    /// whether it created a new file system.
    @discardableResult
    public func formatAndMount(_ request: Request, deadline: Deadline) throws -> Bool {
        var formatted = false
        let type: String
        let probed = try probe(request, deadline: deadline)
        switch probed.content {
        case .partitionTable(let table):
            throw MoorError(.dataProtected, "\(request.device) holds a partition table (\(table)); moor never formats it. Point 'device' at a partition or a blank disk")
        case .fileSystem(let found):
            guard Self.mountableFileSystems.contains(found) else {
                throw MoorError(.dataProtected, "\(request.device) holds \(Self.describe(found)); moor mounts only \(Self.mountableFileSystems.sorted().joined(separator: ", ")) and never formats a device that holds anything")
            }
            if let wanted = request.fsType, wanted != found {
                throw MoorError(.dataProtected, "\(request.device) already holds a \(found) file system, but fsType=\(wanted) was requested; moor never reformats a disk")
            }
            type = found
            if !request.readOnly && !request.inUse && needsCheck(request, type: type, ext4: probed.ext4) {
                try check(request.device, type: type, deadline: deadline)
            }
        case .blank:
            if request.readOnly && !request.formatBlankWhenReadOnly {
                throw MoorError(.invalidOption, "\(request.device) is blank and the volume is read-only: nothing to mount")
            }
            type = request.fsType ?? DiskSpec.defaultFileSystem
            try format(request.device, type: type, options: request.mkfsOptions, deadline: deadline)
            formatted = true
        }
        var options = request.mountOptions
        if request.readOnly { options.append("ro") }
        var mount = MountRequest(source: request.device, target: request.target,
                                 kind: .fileSystem(type: type, options: options),
                                 timeout: try deadline.remaining(for: "mount"))
        mount.localDevice = request.isMoorImage
        try mounter.mount(mount)
        if formatted {
            // A fresh ext4 root holds lost+found, which makes databases such
            // as PostgreSQL and MySQL refuse the directory as "not empty".
            // fsck recreates it when it needs it.
            try? Sys.rmdir(request.target + "/lost+found")
        }
        return formatted
    }

    /// What moor mounts from a device that already holds data: the file
    /// systems it formats, and the older ext versions the ext4 driver reads.
    /// Anything else (swap, LUKS, LVM, RAID members, ...) is refused by name.
    public static let mountableFileSystems: Set<String> = ["ext4", "ext3", "ext2", "xfs"]

    /// blkid's TYPE, in words.
    static func describe(_ type: String) -> String {
        switch type {
        case "swap": "a swap area (TYPE=swap)"
        case "crypto_LUKS": "a LUKS encrypted volume (TYPE=crypto_LUKS)"
        case "LVM2_member": "an LVM physical volume (TYPE=LVM2_member)"
        case "linux_raid_member": "a member of a software RAID array (TYPE=linux_raid_member)"
        default: "a \(OptionError.printable(type)) signature"
        }
    }

    func format(_ device: String, type: String, options: [String], deadline: Deadline) throws {
        let force = type == "xfs" ? ["-f"] : ["-F", "-m0"]
        // The device is an absolute path, so it cannot be read as a flag.
        try runner.run(Command("mkfs.\(type)", force + options + [device],
                               timeout: deadline.remaining(for: "mkfs"))).check("mkfs.\(type)")
    }

    /// `fsck -a`: exit 0-3 is fine (errors corrected), 4 means errors left
    /// and the mount is refused. Higher codes (fsck itself failed) are let
    /// through, as mount-utils does, since mount will check again.
    func check(_ device: String, type: String, deadline: Deadline) throws {
        let result = try runner.run(Command("fsck", ["-a", "-t", type, device], timeout: deadline.remaining(for: "fsck")))
        if result.status == 4 {
            throw MoorError(.dataProtected, "fsck found errors on \(device) that it could not correct; repair it by hand (fsck -f \(device)) before use")
        }
    }
}
