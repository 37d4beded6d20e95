import Logging

/// What every backend works with on this node: the state dir, the admin
/// policy (read when a decision needs it), the helper runner, the mounter
/// and the logger. Built once by the core.
public struct NodeContext: Sendable {
    public let state: StateDirectory
    public let policy: @Sendable () throws -> Policy
    public let runner: any CommandRunning
    public let mounter: any Mounter
    public let logger: Logger

    /// The staging key of a source: a digest under this node's key
    /// (`NodeKey`, made on first use). `source` holds the whole identity,
    /// credentials included.
    public func stagingKey(prefix: String, source: String) throws -> StagingKey {
        StagingKey(prefix: prefix, source: source, nodeKey: try NodeKey.load(stateRoot: state.root))
    }
}

/// What a backend did when it staged a source.
public struct StageResult: Sendable {
    public var record: StagingRecord
    /// True when the backend created the file system or directory just now,
    /// so the volume root's `uid`/`gid`/`mode` should be applied.
    public var created: Bool
    /// What the mount table must show at the staging path: the core checks
    /// it before anything is bound from there.
    public var expected: ExpectedMount

    public init(record: StagingRecord, created: Bool, expected: ExpectedMount) {
        self.record = record
        self.created = created
        self.expected = expected
    }
}

/// A staging mount as the backend meant it. Verify, then bind: a helper
/// that "succeeded" but mounted something else, elsewhere, or only a part
/// of the file system (mount(8)'s `X-mount.subdir`), must never have the
/// bare staging directory or a stranger's mount bound into a consumer.
public struct ExpectedMount: Sendable, Equatable {
    /// Accepted file-system types as mountinfo shows them; nil accepts any.
    public var fsTypes: Set<String>?
    /// The block device that must be mounted there.
    public var device: DeviceNumber?
    /// The root of the file system must be what is mounted (every type but `bind`).
    public var wholeFileSystem = true

    public init(fsTypes: Set<String>?, device: DeviceNumber? = nil, wholeFileSystem: Bool = true) {
        self.fsTypes = fsTypes
        self.device = device
        self.wholeFileSystem = wholeFileSystem
    }

    /// Nil when `entry` (the mount at the staging path, if any) is as
    /// expected; otherwise what is wrong, for the error message.
    public func mismatch(_ entry: MountEntry?) -> String? {
        guard let entry else { return "nothing is mounted there" }
        if let fsTypes, !fsTypes.contains(entry.fsType) {
            return "a \(OptionError.printable(entry.fsType)) file system is mounted there, not \(fsTypes.sorted().joined(separator: " or "))"
        }
        if let device, entry.device != device { return "device \(entry.device) is mounted there, not \(device)" }
        if wholeFileSystem && entry.root != "/" { return "only a subdirectory of the file system is mounted there" }
        return nil
    }
}

/// One kind of storage. A backend mounts a source once at a staging path
/// and undoes that on release; binding into consumers is the core's job.
public protocol Backend: Sendable {
    /// The node it works on.
    var node: NodeContext { get }

    /// The backend's own part of a volume definition.
    associatedtype Spec

    /// `definition`'s spec if it is a volume of this backend's type.
    static func spec(of definition: VolumeDefinition) -> Spec?

    /// The staging mount this definition shares with every other consumer
    /// of the same source.
    func stagingKey(for definition: VolumeDefinition) throws -> StagingKey

    /// Mounts the source at `path` (an existing empty directory).
    func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult

    /// Unmounts `path` and releases what staging acquired (a loop device,
    /// an iSCSI session). `record` is nil if the record file was lost.
    func release(at path: String, record: StagingRecord?, deadline: Deadline) throws

    /// The directory inside the staging mount that consumers bind (an NFS
    /// `subdir`), relative and clean, or nil for the whole staging mount.
    /// The core opens it without following any symlink (`HostDirectory`).
    func consumerSubdirectory(for definition: VolumeDefinition) -> String?

    /// Whether moor made the file system and may set its root's ownership
    /// (fsGroup); a network or FUSE share's belongs to its server.
    var ownsFileSystem: Bool { get }

    /// Checks one more consumer of a staging mount that already exists
    /// (`staged`): the admin policy, so a policy tightened since staging
    /// applies to the next consumer, and anything the definition asks for
    /// that the staged source does not have (a disk's size or file system),
    /// so the answer does not depend on whether the source was staged.
    func admit(_ definition: VolumeDefinition, staged: MountEntry) throws

    /// Whether a consumer is told apart by the staging mount's peer group,
    /// not only by its file system: true where the host itself mounts the
    /// same directory (a host directory's own mount), which is no consumer.
    var consumersArePeers: Bool { get }

    /// Deletes what a named volume owns, when it is removed for good. The
    /// caller holds the staging key's lock and has checked it is not staged.
    func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws
}

extension Backend {
    var state: StateDirectory { node.state }
    var runner: any CommandRunning { node.runner }
    var mounter: any Mounter { node.mounter }
    var logger: Logger { node.logger }

    /// `definition`'s spec. The core gives a backend only volumes of its
    /// own type (`VolumeType.backend`), so anything else is a bug.
    func spec(_ definition: VolumeDefinition) -> Spec {
        guard let spec = Self.spec(of: definition) else { preconditionFailure("\(Self.self) given a \(definition.spec.type) volume") }
        return spec
    }

    public func consumerSubdirectory(for definition: VolumeDefinition) -> String? { nil }
    public var ownsFileSystem: Bool { false }
    public var consumersArePeers: Bool { false }
    public func admit(_ definition: VolumeDefinition, staged: MountEntry) throws {}
    public func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws {}
}
