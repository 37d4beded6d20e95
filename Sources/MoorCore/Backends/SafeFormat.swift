/// Formats a device only when it is proven blank, checks a file system
/// before read-write use, then mounts it: the rules of mount-utils'
/// SafeFormatAndMount, which production drivers converge on.
public struct SafeFormat: Sendable {
    let runner: any CommandRunning
    let mounter: any Mounter

    public init(runner: any CommandRunning, mounter: any Mounter) {
        self.runner = runner
        self.mounter = mounter
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
    }

    /// Probes, formats if blank and read-write, fscks, mounts. Returns
    /// whether it created a new file system.
    @discardableResult
    public func formatAndMount(_ request: Request, deadline: Deadline) throws -> Bool {
        var formatted = false
        let type: String
        switch try probe(request.device, deadline: deadline) {
        case .partitionTable(let table):
            throw MoorError(.dataProtected, "\(request.device) holds a partition table (\(table)); moor never formats it. Point 'device' at a partition or a blank disk")
        case .fileSystem(let found):
            if let wanted = request.fsType, wanted != found {
                throw MoorError(.dataProtected, "\(request.device) already holds a \(found) file system, but fsType=\(wanted) was requested; moor never reformats a disk")
            }
            type = found
            if !request.readOnly && !request.inUse { try check(request.device, type: type, deadline: deadline) }
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
        try mounter.mount(MountRequest(source: request.device, target: request.target,
                                       kind: .fileSystem(type: type, options: options),
                                       timeout: deadline.remaining(for: "mount")))
        return formatted
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
