#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Named volumes with reference-counted consumers, for a front door that
/// keeps volumes by name (Docker). Definitions and Mount-ID multisets are
/// persisted under `<stateDir>/volumes/`; whether a volume is mounted is
/// always read from the mount table. A volume's mountpoint is
/// `<mountRoot>/<name>`, which the core publishes on the first reference
/// and unpublishes with the last.
///
/// Mutations of one name are serialised with a flock (so a second moord,
/// or a crash, cannot interleave); reads (`get`, `list`, `path`) come from
/// memory and never touch a backend.
public final class VolumeService: Sendable {
    public let core: Core
    public let mountRoot: String
    let logger: Logger
    private let records = Mutex<[String: VolumeRecord]>([:])

    /// Who defines these volumes (`VolumeDefinition.owner`), such as `docker`.
    public let owner: String

    public init(core: Core, owner: String, mountRoot: String? = nil, logger: Logger) {
        self.core = core
        self.owner = owner
        self.mountRoot = mountRoot ?? core.state.root + "/mounts"
        self.logger = logger
    }

    var recordsRoot: String { core.state.root + "/volumes" }
    func recordPath(_ name: VolumeName) -> String { recordsRoot + "/" + name.rawValue + ".json" }
    public func mountpoint(_ name: VolumeName) -> String { mountRoot + "/" + name.rawValue }

    /// A volume as `get`/`list` report it.
    public struct Snapshot: Sendable {
        public var record: VolumeRecord
        public var mountpoint: String
        public var isMounted: Bool
        public var type: VolumeType
    }

    // MARK: start-up

    /// Loads every definition and reconciles it with the mount table:
    /// references to a volume that is not mounted are stale (its containers
    /// cannot be using it) and are dropped; a mount nobody references is
    /// released, and so is what a crash left (`Core.sweepLeftovers`: staging
    /// mounts with no consumer, unmounted loop devices of moor's disks).
    /// Returns what it found, for the log.
    @discardableResult
    public func load() throws -> (volumes: Int, staleReferences: Int, releasedMounts: Int) {
        try Sys.mkdirs(recordsRoot, mode: 0o700)
        try Sys.mkdirs(mountRoot, mode: 0o755)
        var loaded: [String: VolumeRecord] = [:]
        var stale = 0, released = 0
        let table = try core.mounter.mountTable()
        for file in try Sys.listDirectory(recordsRoot) where file.hasSuffix(".json") {
            guard let name = VolumeName(String(file.dropLast(5))) else { continue }
            guard var record = try? VolumeRecord.decode(Sys.readFile(recordPath(name), limit: 1 << 20)) else {
                logger.warning("unreadable volume record kept aside", metadata: ["volume.name": "\(name)"])
                continue
            }
            record = try migrateCredentials(record)
            let mounted = table.isMountPoint(mountpoint(name))
            if !mounted && record.references > 0 {
                stale += record.references
                record.mountIDs = [:]
                try save(record)
            } else if mounted && record.references == 0 {
                try withVolumeLock(name) { try core.unpublish(mountpoint(name)) }
                released += 1
            }
            loaded[record.name] = record
        }
        sweepOrphanCredentials()
        records.withLock { $0 = loaded }
        let leftovers = core.sweepLeftovers()
        released += leftovers.stagingMounts + leftovers.loopDevices.count
        return (loaded.count, stale, released)
    }

    // MARK: reads (memory only)

    public func get(_ name: String) -> Snapshot? {
        guard let name = VolumeName(name), let record = records.withLock({ $0[name.rawValue] }) else { return nil }
        return snapshot(record)
    }

    public func list() -> [Snapshot] {
        records.withLock { Array($0.values) }.sorted { $0.name < $1.name }.map(snapshot)
    }

    /// A version that changes whenever any volume changes, so a front door
    /// can cache encoded `list` answers.
    public var generation: UInt64 { generationCounter.load(ordering: .acquiring) }
    private let generationCounter = Atomic<UInt64>(0)

    func snapshot(_ record: VolumeRecord) -> Snapshot {
        let name = VolumeName(record.name)!
        return Snapshot(record: record, mountpoint: mountpoint(name), isMounted: record.references > 0,
                        type: VolumeType(options: record.options) ?? .default)
    }

    // MARK: mutations

    /// Defines a volume. Identical options for an existing name are fine
    /// (Compose and Swarm create again on every run); different ones are a conflict.
    /// Credentials go to the volume's own 0600 file, never into its record;
    /// a Create that fails leaves neither.
    public func create(_ nameText: String, options: [String: String]) throws {
        let name = try validName(nameText)
        let definition = try definition(options, name)
        try withVolumeLock(name) {
            if let existing = records.withLock({ $0[name.rawValue] }) {
                let existingDefinition = try? self.definition(of: existing)
                guard existingDefinition == definition else {
                    throw MoorError(.conflict, "volume '\(name)' already exists with different options; remove it first or use the same options")
                }
                return
            }
            let (plain, secrets) = VolumeCredentials.split(options)
            // Credentials first: a crash before the record leaves a file
            // that the next start-up deletes, never a record missing them.
            try writeCredentials(name, secrets)
            do {
                try save(VolumeRecord(name: name.rawValue, options: plain, createdAt: rfc3339Now()))
            } catch {
                try? Sys.unlink(credentialsPath(name))
                throw error
            }
            logger.info("volume created", metadata: ["volume.name": "\(name)", "backend.type": "\(definition.spec.type)"])
        }
    }

    /// Forgets a volume and deletes what it owns (a sparse disk's image).
    /// Refused while any consumer holds it; unknown names are already removed.
    public func remove(_ nameText: String) throws {
        let name = try validName(nameText)
        try withVolumeLock(name) {
            guard let record = records.withLock({ $0[name.rawValue] }) else { return }
            let mounted = try core.mounter.mountTable().isMountPoint(mountpoint(name))
            guard record.references == 0, !mounted else {
                throw MoorError(.busy, "volume '\(name)' is in use by \(max(record.references, 1)) mount(s); stop the containers using it first")
            }
            if let definition = try? self.definition(of: record) {
                try core.destroy(definition, volumeName: name)
            }
            try Sys.unlink(recordPath(name))
            // After the record: a crash in between leaves credentials that
            // the next start-up deletes, never a record missing them.
            try Sys.unlink(credentialsPath(name))
            try? Sys.rmdir(mountpoint(name))
            records.withLock { _ = $0.removeValue(forKey: name.rawValue) }
            bump()
            logger.info("volume removed", metadata: ["volume.name": "\(name)"])
        }
    }

    /// Whether removing `name` may wait on a server, so a front door can
    /// keep that Remove off the threads that serve metadata calls: a
    /// network or FUSE volume, whose Remove may delete a directory on the
    /// share and, before that, takes its source's staging lock, which a
    /// Mount of another volume of the same source holds while it waits on
    /// the server. Local disks and host directories never wait on one.
    public func removeMayWaitOnServer(_ nameText: String) -> Bool {
        guard let name = VolumeName(nameText), let record = records.withLock({ $0[name.rawValue] }) else { return false }
        return !(VolumeType(options: record.options) ?? .default).isLocal
    }

    /// Adds a reference for `id` and returns the mountpoint. The volume is
    /// published on its first reference, or whenever the mount table shows
    /// it is not mounted. A failed mount leaves no reference and no mount.
    public func mount(_ nameText: String, id: String) throws -> String {
        let name = try validName(nameText)
        return try withVolumeLock(name) {
            guard var record = records.withLock({ $0[name.rawValue] }) else {
                throw MoorError(.notFound, "no such volume: \(name)")
            }
            let before = record
            let target = mountpoint(name)
            record.mountIDs[id, default: 0] += 1
            // Persist first: a crash after the mount then leaves a reference
            // that `load()` reconciles, never an unrecorded mount.
            try save(record)
            do {
                // A mountpoint left on a dead FUSE daemon or a stale NFS
                // handle is unmounted first, so this Mount heals it.
                if try core.mounter.mountTable().isMountPoint(target),
                   let problem = Health.probe(target, within: .seconds(5)), problem.isCorruptedMount {
                    logger.info("volume mount is dead, mounting again", metadata: ["volume.name": "\(name)", "error": "\(problem)"])
                    try core.unpublish(target)
                }
                if try !core.mounter.mountTable().isMountPoint(target) {
                    let definition = try self.definition(of: record)
                    try Sys.mkdirs(target, mode: 0o755)
                    try core.publish(definition, to: .init(target: target))
                }
            } catch {
                try? save(before)
                throw error
            }
            logger.info("volume mounted", metadata: ["volume.name": "\(name)", "mount.id": "\(id)", "refs": "\(record.references)"])
            return target
        }
    }

    /// Drops one reference of `id`; the last reference unpublishes the
    /// volume. An ID moord never counted (Docker restarted, moord's state
    /// was reconciled) changes nothing.
    public func unmount(_ nameText: String, id: String) throws {
        let name = try validName(nameText)
        try withVolumeLock(name) {
            guard var record = records.withLock({ $0[name.rawValue] }) else {
                throw MoorError(.notFound, "no such volume: \(name)")
            }
            if let count = record.mountIDs[id] {
                record.mountIDs[id] = count > 1 ? count - 1 : nil
            } else {
                logger.info("unmount of an unknown mount id ignored", metadata: ["volume.name": "\(name)", "mount.id": "\(id)"])
            }
            if record.references == 0 { try core.unpublish(mountpoint(name)) }
            try save(record)
            logger.info("volume unmounted", metadata: ["volume.name": "\(name)", "mount.id": "\(id)", "refs": "\(record.references)"])
        }
    }

    /// Releases every referenced volume that is not in `inUse` (the names
    /// running containers use, as the admin's reconcile asks dockerd):
    /// Unmounts that dockerd never sent. Returns the names released.
    public func reconcile(inUse: Set<String>) throws -> [String] {
        var released: [String] = []
        for snapshot in list() where snapshot.record.references > 0 && !inUse.contains(snapshot.record.name) {
            let name = VolumeName(snapshot.record.name)!
            try withVolumeLock(name) {
                guard var record = records.withLock({ $0[name.rawValue] }), record.references > 0 else { return }
                record.mountIDs = [:]
                try core.unpublish(mountpoint(name))
                try save(record)
                released.append(name.rawValue)
            }
        }
        if !released.isEmpty { logger.info("leaked references released", metadata: ["volumes": "\(released)"]) }
        return released
    }

    // MARK: helpers

    /// A stored or given definition, owned by this service's owner.
    func definition(_ options: [String: String], _ name: VolumeName, secrets: [String: Secret] = [:]) throws -> VolumeDefinition {
        var definition = try VolumeDefinition.parse(options, secrets: secrets, name: name.rawValue)
        definition.owner = owner
        return definition
    }

    func validName(_ text: String) throws -> VolumeName {
        guard let name = VolumeName(text) else {
            throw MoorError(.invalidOption, "invalid volume name '\(OptionError.printable(text))': use \(VolumeName.rule)")
        }
        return name
    }

    func withVolumeLock<T>(_ name: VolumeName, _ body: () throws -> T) throws -> T {
        try core.state.withLock("volume-" + name.rawValue, body)
    }

    func save(_ record: VolumeRecord) throws {
        try Sys.mkdirs(recordsRoot, mode: 0o700)
        try core.state.writeAtomically(recordPath(VolumeName(record.name)!), record.encoded())
        records.withLock { $0[record.name] = record }
        bump()
    }

    private func bump() { generationCounter.add(1, ordering: .releasing) }
}
