/// A local disk: a block device the admin policy allows, or a sparse file
/// on a loop device under the state dir (the embedded default).
public struct DiskSpec: Hashable, Sendable {
    public enum Backing: Hashable, Sendable {
        /// A block device path, checked against the policy's `allowedDevices`.
        case device(String)
        /// A sparse file, `<stateDir>/disks/<name>.img`, of `bytes` if given
        /// (else `defaultSize` when created, and whatever size it has after).
        case sparseFile(bytes: UInt64?)
    }

    public static let keys = ["type", "name", "device", "size", "fsType", "mkfsOptions", "mountOptions",
                              "readOnly", "uid", "gid", "mode", "timeout"]
    public static let fileSystems = ["ext4", "xfs"]
    public static let defaultSize: UInt64 = 10 << 30
    public static let defaultFileSystem = "ext4"

    public var backing: Backing
    /// Identifies a sparse-file disk; nil for device disks that gave none.
    public var name: VolumeName?
    /// The requested file system; nil means "ext4 when formatting, and
    /// whatever the disk already holds otherwise".
    public var fsType: String?
    /// Extra argv for `mkfs.<fsType>`, split on spaces, each flag on
    /// `MkfsOptions`' table for the file system (ext4 when none is given).
    public var mkfsOptions: [String]

    init(_ reader: inout OptionReader, name fallbackName: String?) throws(OptionError) {
        let device = try reader.absolutePath("device")
        let size = try reader.size("size")
        // The PV or Docker volume name only names a sparse disk; a device
        // disk does not need one, so an odd PV name must not fail it.
        let own = reader.string("name")
        if let nameText = own ?? (device == nil ? fallbackName : nil) {
            guard let parsed = VolumeName(nameText) else {
                throw reader.error("name", .malformed(expected: VolumeName.rule))
            }
            name = parsed
        }
        switch (device, size) {
        case (let device?, nil):
            guard device.hasPrefix("/dev/") else {
                throw reader.error("device", .malformed(expected: "a block device under /dev"))
            }
            backing = .device(device)
        case (nil, let size):
            guard name != nil else {
                throw reader.error("name", .malformed(expected: "a name for the sparse-file disk (set 'name', or use a PersistentVolume)"))
            }
            backing = .sparseFile(bytes: size)
        case (.some, .some):
            throw reader.error("size", .conflict("give either 'device' or 'size', not both"))
        }
        fsType = reader.string("fsType")
        if let fsType, !Self.fileSystems.contains(fsType) {
            throw reader.error("fsType", .malformed(expected: "one of \(Self.fileSystems.joined(separator: ", "))"))
        }
        mkfsOptions = try MkfsOptions.parse(reader.string("mkfsOptions"), fsType: fsType, reader)
    }
}
