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
}

/// What a backend did when it staged a source.
public struct StageResult: Sendable {
    public var record: StagingRecord
    /// True when the backend created the file system or directory just now,
    /// so the volume root's `uid`/`gid`/`mode` should be applied.
    public var created: Bool
}

/// One kind of storage. A backend mounts a source once at a staging path
/// and undoes that on release; binding into consumers is the core's job.
public protocol Backend: Sendable {
    /// The staging mount this definition shares with every other consumer
    /// of the same source.
    func stagingKey(for definition: VolumeDefinition) throws -> StagingKey

    /// Mounts the source at `path` (an existing empty directory).
    func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult

    /// Unmounts `path` and releases what staging acquired (a loop device,
    /// an iSCSI session). `record` is nil if the record file was lost.
    func release(at path: String, record: StagingRecord?, deadline: Deadline) throws

    /// What consumers bind: the staging mount, or a directory inside it.
    func consumerSource(for definition: VolumeDefinition, staging: String) -> String

    /// Whether moor made the file system and may set its root's ownership
    /// (fsGroup); a network or FUSE share's belongs to its server.
    var ownsFileSystem: Bool { get }

    /// Checks the admin policy for one more consumer of a staging mount
    /// that already exists, so a policy tightened since staging applies to
    /// the next consumer (staging itself checks everything).
    func admit(_ definition: VolumeDefinition) throws

    /// Whether a consumer is told apart by the staging mount's peer group,
    /// not only by its file system: true where the host itself mounts the
    /// same directory (a host directory's own mount), which is no consumer.
    var consumersArePeers: Bool { get }

    /// Deletes what a named volume owns, when it is removed for good. The
    /// caller holds the staging key's lock and has checked it is not staged.
    func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws
}

extension Backend {
    public func consumerSource(for definition: VolumeDefinition, staging: String) -> String { staging }
    public var ownsFileSystem: Bool { false }
    public var consumersArePeers: Bool { false }
    public func admit(_ definition: VolumeDefinition) throws {}
    public func destroy(_ definition: VolumeDefinition, volumeName: VolumeName) throws {}
}
