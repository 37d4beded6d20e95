/// What a volume is, parsed from the one options vocabulary shared by
/// FlexVolume `options:` and `docker volume create -o`.
public enum VolumeSpec: Hashable, Sendable {
    case disk(DiskSpec)
    case nfs(NFSSpec)
    case iscsi(ISCSISpec)
    case fuse(FUSESpec)
    case bind(BindSpec)

    public var type: VolumeType {
        switch self {
        case .disk: .disk
        case .nfs: .nfs
        case .iscsi: .iscsi
        case .fuse: .fuse
        case .bind: .bind
        }
    }
}

/// A parsed volume: its backend spec plus the common options.
public struct VolumeDefinition: Hashable, Sendable {
    public var spec: VolumeSpec
    public var common: CommonOptions
    /// Who defined the volume, as the front door knows them (a Kubernetes
    /// namespace, Docker): never an option, since option writers are not
    /// trusted. A node-local sparse disk belongs to the owner that first
    /// staged it (`DiskBackend`); nil is an owner of its own.
    public var owner: String?

    public init(spec: VolumeSpec, common: CommonOptions) {
        self.spec = spec
        self.common = common
    }

    /// Parses user options. With no `type`, the volume is the embedded
    /// default: a sparse-file disk. `name` identifies a sparse disk when the
    /// options carry none (the Docker volume or Kubernetes PV name).
    public static func parse(_ options: [String: String], secrets: [String: Secret] = [:],
                             name: String? = nil) throws(OptionError) -> VolumeDefinition {
        guard let type = VolumeType(options: options) else {
            throw OptionError(scope: "volume", key: "type", problem: .malformed(expected: "one of \(VolumeType.allNames)"))
        }
        var reader = OptionReader(scope: type.rawValue, allowed: type.keys, values: options, secrets: secrets)
        _ = reader.string("type")
        let spec: VolumeSpec
        switch type {
        case .disk: spec = .disk(try DiskSpec(&reader, name: name))
        case .nfs: spec = .nfs(try NFSSpec(&reader))
        case .iscsi: spec = .iscsi(try ISCSISpec(&reader))
        case .fuse: spec = .fuse(try FUSESpec(&reader))
        case .bind: spec = .bind(try BindSpec(&reader))
        }
        var common = try CommonOptions(&reader, defaultTimeout: type.defaultTimeout)
        // Which mount options are safe depends on the type (and helper):
        // checked here, where both are known.
        if let (what, tables) = OptionAllowList.tables(for: spec) {
            try common.mountOptions.check(against: tables, what: what, reader)
        }
        if case .bind = spec {
            try BindSpec.check(common.mountOptions, reader)
            // `ro` on a bind is the read-only option: one staging mount, and
            // read-only consumers, not a conflict between the two.
            if common.mountOptions.contains("ro") { common.readOnly = true }
        }
        try reader.finish()
        return VolumeDefinition(spec: spec, common: common)
    }
}
