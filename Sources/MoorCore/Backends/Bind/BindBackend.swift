#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Host directories (`type=bind`), like Kubernetes' `hostPath` and the
/// `local` driver's `type=none,o=bind`. Only directories inside the policy's
/// `allowedHostPaths` trees, never moor's own state directory, and never
/// through a symlink (`HostDirectory`).
///
/// Staged like every other type: the host directory is bound once onto its
/// staging path (read-only and the `mountOptions` flags applied there,
/// once), and consumers bind the staging mount. That keeps the core's
/// model (one staging mount, consumers counted in the mount table, release
/// with the last one) and means the host path is resolved and checked once
/// per node, not per consumer. Counting needs one more fact here: the host
/// mounts the same directory of the same file system itself (a local PV's
/// `/mnt/disks/ssd1` is a mount root), so the staging mount gets a peer
/// group of its own and its consumers are its peers (`consumersArePeers`).
///
/// Release unmounts the staging bind and nothing else: the host directory
/// and its contents are never changed, and `destroy` (Docker `volume rm`)
/// deletes nothing.
public struct BindBackend: Backend {
    public let node: NodeContext

    public init(node: NodeContext) { self.node = node }

    public var consumersArePeers: Bool { true }

    public static func spec(of definition: VolumeDefinition) -> BindSpec? {
        if case .bind(let spec) = definition.spec { spec } else { nil }
    }

    public func stagingKey(for definition: VolumeDefinition) throws -> StagingKey {
        let spec = spec(definition)
        // Other per-mount flags make another staging mount, as NFS options do.
        let flags = BindSpec.flags(definition.common.mountOptions).rawValue
        let source = [spec.path, definition.common.readOnly ? "ro" : "rw", String(flags)].joined(separator: "\u{0}")
        return try node.stagingKey(prefix: "bind-" + (spec.path.split(separator: "/").last.map(String.init) ?? "root"), source: source)
    }

    public func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult {
        let spec = spec(definition)
        let policy = try node.policy()
        try checkAllowed(spec.path, policy: policy)
        var creation: HostDirectory.Creation?
        let parent = Self.parent(of: spec.path)
        if spec.createPath && policy.allowsHostPath(parent) {
            creation = .init(mode: definition.common.mode ?? 0o755, uid: definition.common.uid, gid: definition.common.gid)
        }
        let directory: HostDirectory
        do {
            directory = try HostDirectory.open(spec.path, create: creation)
        } catch {
            throw Self.explain(error, spec, parent: parent, policy: policy)
        }
        defer { directory.close() }
        if directory.created {
            logger.info("host directory created", metadata: ["path": "\(spec.path)"])
        }
        var request = MountRequest.bind(directory.mountSource, to: path, readOnly: definition.common.readOnly)
        request.bindFlags = BindSpec.flags(definition.common.mountOptions)
        try mounter.mount(request)
        do {
            // Private, then shared: a new peer group that only this staging
            // mount and the binds made from it (its consumers) belong to.
            try mounter.mount(MountRequest(source: "none", target: path, kind: .propagation(.privatePropagation)))
            try mounter.mount(MountRequest(source: "none", target: path, kind: .propagation(.sharedPropagation)))
        } catch {
            try? Unmounter(mounter: mounter).unmountAll(path)
            throw error
        }
        return StageResult(record: StagingRecord(type: .bind, source: "host path \(spec.path)"), created: false,
                           expected: ExpectedMount(fsTypes: nil, wholeFileSystem: false))
    }

    /// The policy check again, for a consumer of a directory already staged.
    public func admit(_ definition: VolumeDefinition, staged: MountEntry) throws {
        try checkAllowed(spec(definition).path, policy: node.policy())
    }

    /// Unmounts the staging bind; the host directory is left as it is.
    public func release(at path: String, record: StagingRecord?, deadline: Deadline) throws {
        try Unmounter(mounter: mounter).unmountAll(path)
    }

    /// The policy check, on the path as written: symlinks are refused while
    /// opening it, so it is also the resolved path. moor's own state
    /// directory (credentials, disks, every staging mount) is never a host
    /// path, whatever the policy says.
    func checkAllowed(_ path: String, policy: Policy) throws {
        guard policy.allowsHostPath(path) else {
            let none = policy.allowedHostPaths.isEmpty ? " (it allows none now)" : ""
            throw MoorError(.forbidden, "bind: host path \(path) is not allowed by the node's policy: add it, or a pattern matching it or a parent directory, to allowedHostPaths in \(policy.path)\(none)")
        }
        let state = node.state.root
        for root in Set([state, (try? Sys.realpath(state)) ?? state]) where Self.isAtOrBelow(path, root) || Self.isAtOrBelow(root, path) {
            throw MoorError(.forbidden, "bind: host path \(path) contains or is inside moor's state directory \(root), which is never bound into a consumer")
        }
    }

    static func explain(_ failure: HostDirectory.Failure, _ spec: BindSpec, parent: String, policy: Policy) -> MoorError {
        let path = spec.path
        switch failure {
        case .missing(_, isLast: true) where spec.createPath:
            return MoorError(.forbidden, "bind: host path \(path) does not exist, and createPath creates a directory only inside an allowed tree: its parent \(parent) is not allowed by allowedHostPaths in \(policy.path)")
        case .missing(_, isLast: true):
            return MoorError(.notFound, "bind: host path \(path) does not exist on this node; create it, or set createPath=true")
        case .missing(let prefix, isLast: false):
            return MoorError(.notFound, "bind: host path \(path) does not exist on this node: \(prefix) is missing" + (spec.createPath ? " (createPath creates only the last directory)" : ""))
        case .symlink(let prefix, let target):
            return MoorError(.forbidden, "bind: \(prefix) in host path \(path) is a symbolic link (to \(target)); moor never follows symlinks in a host path, so give the real path")
        case .notDirectory(let prefix):
            return MoorError(.invalidOption, prefix == path ? "bind: host path \(path) is not a directory" : "bind: host path \(path): \(prefix) is not a directory")
        case .moved(let now):
            return MoorError(.conflict, "bind: host path \(path) was moved while moor opened it (it is now \(now)); try again")
        case .system(let error):
            return MoorError(.system, "bind: host path \(path): \(error)")
        }
    }

    static func parent(of path: String) -> String {
        let components = path.split(separator: "/").dropLast()
        return components.isEmpty ? "/" : "/" + components.joined(separator: "/")
    }

    static func isAtOrBelow(_ path: String, _ root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }
}
