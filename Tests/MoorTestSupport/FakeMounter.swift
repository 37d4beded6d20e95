import Foundation
import MoorCore
import Synchronization
import SystemPackage

/// A `Mounter` with a mount table in memory, for unit tests that run
/// without root. It models what the core reads back, not the kernel:
/// - `.fileSystem` adds a whole file system (root `/`) with a device number
///   per source: for a source under `/dev`, the node's own number if it is
///   a block device here (what `ExpectedMount` compares), else a stable
///   `259:N`; an anonymous `0:N` for anything else (a network share, FUSE).
/// - `.bind` adds a mount of the file system that contains the source, with
///   the source's path inside it as root; a `/proc/self/fd/N` source is
///   resolved with readlink. A bind joins the source mount's peer group.
///   A source that no mount contains is refused with ENOENT, so seed a
///   root mount (`FakeMounter.host()`) for binds of host directories.
/// - `.propagation` edits the optional fields (`shared:N`, `master:N`).
/// - `unmount` removes the top mount at the target, or fails with EINVAL
///   (as umount2(2) does) when nothing is mounted there.
/// Failures are injected with `fail` and `failUnmount`; each is asked
/// first, and an error it returns is thrown with the table left unchanged.
/// Nothing is mounted for real: the directories stay as they are.
public final class FakeMounter: Mounter {
    /// One unmount call, as asked.
    public struct Unmount: Hashable, Sendable {
        public var target: String
        public var mode: UnmountMode
    }

    private struct State {
        var entries: [MountEntry]
        var requests: [MountRequest] = []
        var unmounts: [Unmount] = []
        var devices: [String: DeviceNumber] = [:]
        var nextID = 1000
        var nextPeerGroup = 100
        var nextMinor: UInt32 = 1
        var fail: @Sendable (MountRequest) -> (any Error)? = { _ in nil }
        var failUnmount: @Sendable (String, UnmountMode) -> (any Error)? = { _, _ in nil }
    }

    private let state: Mutex<State>

    /// A mounter whose table starts as `entries`.
    public init(entries: [MountEntry] = []) {
        state = Mutex(State(entries: entries))
    }

    /// A mounter whose table starts as the mountinfo `lines`.
    public convenience init(mountinfo lines: [String]) {
        self.init(entries: MountTable(parsing: lines.joined(separator: "\n")).entries)
    }

    /// A mounter with the host's root file system mounted at `/`
    /// (device `254:0`, in peer group `shared:1`), as on a systemd host.
    public static func host() -> FakeMounter {
        FakeMounter(entries: [MountEntry(id: 1, parentID: 0, major: 254, minor: 0, root: "/", mountPoint: "/",
                                         options: ["rw", "relatime"], optionalFields: ["shared:1"], fsType: "ext4",
                                         source: "/dev/vda1", superOptions: ["rw"])])
    }

    /// Asked before each mount request; an error it returns is thrown.
    public var fail: @Sendable (MountRequest) -> (any Error)? {
        get { state.withLock { $0.fail } }
        set { state.withLock { $0.fail = newValue } }
    }

    /// Asked before each unmount; an error it returns (EBUSY, ENOTCONN) is thrown.
    public var failUnmount: @Sendable (String, UnmountMode) -> (any Error)? {
        get { state.withLock { $0.failUnmount } }
        set { state.withLock { $0.failUnmount = newValue } }
    }

    /// Every mount request, in order, including the failed ones.
    public var requests: [MountRequest] { state.withLock { $0.requests } }
    /// Every unmount call, in order, including the failed ones.
    public var unmounts: [Unmount] { state.withLock { $0.unmounts } }
    /// The target of every unmount call, in order.
    public var unmounted: [String] { unmounts.map(\.target) }
    /// The current entries.
    public var entries: [MountEntry] { state.withLock { $0.entries } }

    /// Adds `entry` on top of the table, as something outside moor mounting it.
    public func add(_ entry: MountEntry) { state.withLock { $0.entries.append(entry) } }

    public func mountTable() throws -> MountTable { MountTable(entries: entries) }

    public func mount(_ request: MountRequest) throws {
        try state.withLock { state in
            state.requests.append(request)
            if let error = state.fail(request) { throw error }
            switch request.kind {
            case .fileSystem(let type, let options):
                let device = Self.device(for: request.source, in: &state)
                let readOnly = options.contains("ro")
                state.entries.append(Self.entry(&state, at: request.target, device: device, root: "/",
                                                readOnly: readOnly, fsType: type, source: request.source, peers: []))
            case .bind(let readOnly):
                let path = Self.resolve(request.source)
                guard let container = MountTable(entries: state.entries).containing(path) else {
                    throw SystemCallError("mount", request.source, .noSuchFileOrDirectory)
                }
                let relative = container.mountPoint == "/" ? path : String(path.dropFirst(container.mountPoint.count))
                let root = container.root == "/" ? (relative.isEmpty ? "/" : relative) : container.root + relative
                let peers = container.optionalFields.filter { $0.hasPrefix("shared:") }
                state.entries.append(Self.entry(&state, at: request.target, device: container.device, root: root,
                                                readOnly: readOnly, fsType: container.fsType, source: container.source, peers: peers))
            case .propagation(let flags):
                guard let index = state.entries.lastIndex(where: { $0.mountPoint == request.target }) else {
                    throw SystemCallError("mount", request.target, .invalidArgument)
                }
                var fields = state.entries[index].optionalFields
                let shared = fields.first { $0.hasPrefix("shared:") }
                if flags.contains(.privatePropagation) { fields.removeAll { $0.hasPrefix("shared:") || $0.hasPrefix("master:") } }
                if flags.contains(.slavePropagation), let shared {
                    fields.removeAll { $0.hasPrefix("shared:") || $0.hasPrefix("master:") }
                    fields.append("master:" + shared.dropFirst("shared:".count))
                }
                if flags.contains(.sharedPropagation), !fields.contains(where: { $0.hasPrefix("shared:") }) {
                    fields.insert("shared:\(state.nextPeerGroup)", at: 0)
                    state.nextPeerGroup += 1
                }
                state.entries[index].optionalFields = fields
            }
        }
    }

    public func unmount(_ target: String, mode: UnmountMode) throws {
        try state.withLock { state in
            state.unmounts.append(Unmount(target: target, mode: mode))
            if let error = state.failUnmount(target, mode) { throw error }
            guard let index = state.entries.lastIndex(where: { $0.mountPoint == target }) else {
                throw SystemCallError("umount2", target, .invalidArgument)
            }
            state.entries.remove(at: index)
        }
    }

    private static func device(for source: String, in state: inout State) -> DeviceNumber {
        if let known = state.devices[source] { return known }
        if source.hasPrefix("/dev/"), let info = try? Sys.stat(source), Sys.isBlockDevice(info) {
            return Sys.deviceNumber(info)
        }
        let device = DeviceNumber(major: source.hasPrefix("/dev/") ? 259 : 0, minor: state.nextMinor)
        state.nextMinor += 1
        state.devices[source] = device
        return device
    }

    private static func entry(_ state: inout State, at target: String, device: DeviceNumber, root: String, readOnly: Bool,
                              fsType: String, source: String, peers: [String]) -> MountEntry {
        let parent = MountTable(entries: state.entries).containing(target)?.id ?? 1
        state.nextID += 1
        return MountEntry(id: state.nextID, parentID: parent, major: device.major, minor: device.minor, root: root,
                          mountPoint: target, options: [readOnly ? "ro" : "rw", "relatime"], optionalFields: peers,
                          fsType: fsType, source: source, superOptions: ["rw"])
    }

    /// The directory a bind source names: `/proc/self/fd/N` read as a link.
    private static func resolve(_ source: String) -> String {
        guard source.hasPrefix("/proc/self/fd/"),
              let target = try? FileManager.default.destinationOfSymbolicLink(atPath: source) else { return source }
        return target
    }
}
