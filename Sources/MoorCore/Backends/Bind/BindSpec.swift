/// A host directory bound into consumers, like Kubernetes' `hostPath` and
/// Docker's `local` driver with `type=none,o=bind`. Only directories inside
/// the policy's `allowedHostPaths` trees may be used (see `BindBackend`).
public struct BindSpec: Hashable, Sendable {
    public static let keys = ["type", "path", "createPath", "mountOptions", "readOnly", "uid", "gid", "mode", "timeout"]

    /// What a bind can honour: `ro` and the per-mount flags a bind remount
    /// sets (`MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC` and the atime flags).
    /// Everything else in `mount -o` belongs to a file system, which a bind
    /// does not mount. Their flags are the ones mount(8) gives them
    /// (`KernelMountOptions.generic`).
    public static let mountOptionNames = ["ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime", "relatime"]

    /// The host directory, absolute and clean; symlinks in it are refused
    /// when it is opened, so this is also the resolved path.
    public var path: String
    /// Create the directory (its parent must exist) if it is missing.
    public var createPath: Bool

    init(_ reader: inout OptionReader) throws(OptionError) {
        guard let path = try reader.absolutePath("path") else { throw reader.error("path", .missing) }
        self.path = path
        createPath = try reader.bool("createPath")
    }

    /// Refuses `mountOptions` a bind cannot honour, naming the first one.
    static func check(_ options: MountOptionList, _ reader: OptionReader) throws(OptionError) {
        if let refusal = OptionAllowList.firstRefusal(of: options.options, by: [.bind]) {
            throw reader.error("mountOptions", .malformed(
                expected: "only \(mountOptionNames.joined(separator: ", ")) for a bind (found \(OptionAllowList.describe(refusal)); a bind mounts no file system)"))
        }
    }

    /// An option's name without its value, which may be a secret (`password=`).
    public static func name(of option: String) -> String {
        OptionError.printable(option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option)
    }

    /// The per-mount flags `options` ask for (`ro` excluded: it is `readOnly`).
    public static func flags(_ options: MountOptionList) -> MountFlags {
        options.options.reduce(into: MountFlags()) { flags, option in
            if option != "ro", mountOptionNames.contains(option), let (flag, _) = KernelMountOptions.generic[option] { flags.formUnion(flag) }
        }
    }
}
