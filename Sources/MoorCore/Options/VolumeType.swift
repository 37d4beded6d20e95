/// The one typed list of volume types. Every switch over it is exhaustive,
/// so a new type is one case here plus its backend folder, and the
/// compiler names every other place that must learn of it.
public enum VolumeType: String, CaseIterable, Codable, Hashable, Sendable, CustomStringConvertible {
    case disk, nfs, iscsi, fuse, bind

    /// What a volume with no `type` is: the embedded default, a sparse-file disk.
    public static let `default` = VolumeType.disk

    /// The `type` option as written: absent or empty is the default; nil
    /// for a name moor does not know.
    public init?(option: String?) {
        guard let option, !option.isEmpty else { self = .default; return }
        self.init(rawValue: option)
    }

    /// The type of a stored or given options map (`type`, or the default); nil if unknown.
    public init?(options: [String: String]) { self.init(option: options["type"]) }

    public var description: String { rawValue }

    /// The option keys this type reads (common keys included).
    public var keys: [String] {
        switch self {
        case .disk: DiskSpec.keys
        case .nfs: NFSSpec.keys
        case .iscsi: ISCSISpec.keys
        case .fuse: FUSESpec.keys
        case .bind: BindSpec.keys
        }
    }

    /// How long staging may take when the volume sets no `timeout`: block
    /// devices may need mkfs or fsck, shares only a mount.
    public var defaultTimeout: Duration {
        switch self {
        case .disk, .iscsi: .seconds(120)
        case .nfs, .fuse, .bind: .seconds(60)
        }
    }

    /// Whether the type takes a file-system type (`fsType`, and kubelet's
    /// `kubernetes.io/fsType`): the block-device types.
    public var takesFileSystemType: Bool {
        switch self {
        case .disk, .iscsi: true
        case .nfs, .fuse, .bind: false
        }
    }

    /// Whether moor itself made and owns the file system, so mounting it
    /// cannot hang on a server and its capacity can be read at once.
    public var isLocal: Bool {
        switch self {
        case .disk, .bind: true
        case .nfs, .iscsi, .fuse: false
        }
    }

    /// The backend that stages volumes of this type on `node`.
    func backend(_ node: NodeContext) -> any Backend {
        switch self {
        case .disk: DiskBackend(node: node)
        case .nfs: NFSBackend(node: node)
        case .iscsi: ISCSIBackend(node: node)
        case .fuse: FUSEBackend(node: node)
        case .bind: BindBackend(node: node)
        }
    }

    /// "one of disk, nfs, ..." for messages.
    static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
