/// Flags for mount(2). Each names its `MS_*` constant.
public struct MountFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public static let readOnly = MountFlags(rawValue: 0x1)        // MS_RDONLY
    public static let noSetUID = MountFlags(rawValue: 0x2)        // MS_NOSUID
    public static let noDevices = MountFlags(rawValue: 0x4)       // MS_NODEV
    public static let noExec = MountFlags(rawValue: 0x8)          // MS_NOEXEC
    public static let remount = MountFlags(rawValue: 0x20)        // MS_REMOUNT
    public static let noAccessTime = MountFlags(rawValue: 0x400)  // MS_NOATIME
    public static let noDirAccessTime = MountFlags(rawValue: 0x800) // MS_NODIRATIME
    public static let bind = MountFlags(rawValue: 0x1000)         // MS_BIND
    public static let recursive = MountFlags(rawValue: 0x4000)    // MS_REC
    public static let privatePropagation = MountFlags(rawValue: 1 << 18) // MS_PRIVATE
    public static let slavePropagation = MountFlags(rawValue: 1 << 19)   // MS_SLAVE
    public static let sharedPropagation = MountFlags(rawValue: 1 << 20)  // MS_SHARED
    public static let relativeAccessTime = MountFlags(rawValue: 1 << 21) // MS_RELATIME
    public static let synchronous = MountFlags(rawValue: 0x10)    // MS_SYNCHRONOUS
    public static let mandatoryLocks = MountFlags(rawValue: 0x40) // MS_MANDLOCK
    public static let dirSynchronous = MountFlags(rawValue: 0x80) // MS_DIRSYNC
    public static let silent = MountFlags(rawValue: 0x8000)       // MS_SILENT
    public static let inodeVersion = MountFlags(rawValue: 1 << 23) // MS_I_VERSION
    public static let strictAccessTime = MountFlags(rawValue: 1 << 24) // MS_STRICTATIME
    public static let lazyTime = MountFlags(rawValue: 1 << 25)    // MS_LAZYTIME

    /// Per-mount flags a read-only bind remount must carry over from its
    /// source, or the kernel clears them (mount-utils, moby do the same).
    public static let lockedOnRemount: MountFlags = [.noSetUID, .noDevices, .noExec, .noAccessTime, .noDirAccessTime, .relativeAccessTime]

    /// The atime choices; one asked for replaces the one inherited.
    public static let accessTime: MountFlags = [.noAccessTime, .noDirAccessTime, .relativeAccessTime]
}

/// What to mount where. New knobs extend this value; `Mounter` keeps its
/// three methods.
public struct MountRequest: Sendable {
    public enum Kind: Sendable {
        /// A file system on `source` (a device), through mount(8) so its
        /// option parsing applies (or see `localDevice`).
        case fileSystem(type: String, options: MountOptionList)
        /// A bind of the directory `source`; read-only as a second step.
        case bind(readOnly: Bool)
        /// Change the propagation of the mount at `target`.
        case propagation(MountFlags)
    }

    public var source: String
    public var target: String
    public var kind: Kind
    public var timeout: Duration
    /// For `.bind`: per-mount flags (`MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC`,
    /// atime) set by the same remount that makes a bind read-only.
    public var bindFlags: MountFlags = []
    /// The source is a local block device (a loop device over a file):
    /// mount(2) cannot hang on a network there, so a file system that
    /// needs no helper is mounted in-process instead of through mount(8).
    public var localDevice = false

    public init(source: String, target: String, kind: Kind, timeout: Duration = .seconds(60)) {
        self.source = source
        self.target = target
        self.kind = kind
        self.timeout = timeout
    }

    public static func bind(_ source: String, to target: String, readOnly: Bool = false) -> MountRequest {
        MountRequest(source: source, target: target, kind: .bind(readOnly: readOnly))
    }
}

/// How hard to try an unmount.
public enum UnmountMode: Sendable {
    case normal
    /// `MNT_FORCE`: for dead network file systems.
    case force
    /// `MNT_DETACH`: last resort; the mount goes from the namespace at once.
    case detach
}

/// The mount primitives the core needs. `LinuxMounter` is the production one.
public protocol Mounter: Sendable {
    func mount(_ request: MountRequest) throws
    func unmount(_ target: String, mode: UnmountMode) throws
    func mountTable() throws -> MountTable
}
