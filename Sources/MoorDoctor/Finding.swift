/// How much a finding matters. Only a `problem` makes `moor doctor` exit 1.
public enum FindingStatus: String, Codable, Sendable, Comparable {
    /// What was checked is in place.
    case ok
    /// Worth knowing or tidying up; nothing fails because of it.
    case warning
    /// Something moor needs is missing or broken: mounts of the affected
    /// backend fail on this node until the fix is applied.
    case problem

    public static func < (a: FindingStatus, b: FindingStatus) -> Bool { a.rank < b.rank }
    private var rank: Int {
        switch self {
        case .ok: 0
        case .warning: 1
        case .problem: 2
        }
    }
}

/// Which part of the node a finding is about: one group per backend, plus
/// the node-wide ones.
public enum FindingGroup: String, Codable, Sendable, CaseIterable {
    case node, disk, nfs, iscsi, fuse, kubernetes, docker, state
}

/// One fact about the node, and for anything not `ok` one concrete fix.
public struct Finding: Codable, Equatable, Sendable {
    /// Stable, for scripts: `nfs.kernel-client`, `disk.mkfs.ext4`, `state.orphaned-loop`.
    public var id: String
    public var group: FindingGroup
    public var status: FindingStatus
    /// What it is about when one check reports several things (a loop
    /// device, a staging key); nil otherwise.
    public var subject: String?
    /// What was found, as a sentence a person can check by hand.
    public var found: String
    /// One concrete step that resolves it; nil when the status is `ok`.
    public var fix: String?

    public init(_ id: String, _ group: FindingGroup, _ status: FindingStatus, subject: String? = nil, found: String, fix: String? = nil) {
        precondition(status == .ok || fix != nil, "a finding that is not ok needs a fix (\(id))")
        self.id = id
        self.group = group
        self.status = status
        self.subject = subject
        self.found = found
        self.fix = status == .ok ? nil : fix
    }
}
