#if canImport(Glibc)
import Glibc
#endif
import Logging
import MoorCore

/// Whether moor's state dir is writable and agrees with the kernel:
/// staging records without their mount, staging mounts without a record or
/// without consumers, and loop devices on disk images under the state dir
/// that nothing mounts.
struct StateCheck {
    let state: StateDirectory
    let table: MountTable
    /// Only to ask it which mounts consume a staging mount: nothing is mounted or run.
    let core: Core

    init(state: StateDirectory, table: MountTable) {
        self.state = state
        self.table = table
        let runner = CommandRunner()
        core = Core(state: state, policy: Policy(), mounter: LinuxMounter(runner: runner), runner: runner,
                    logger: Logger(label: "moor.doctor", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func findings() -> [Finding] {
        [writable()] + staging() + orphanedLoops()
    }

    /// Creates and removes a temp file in the state dir; never creates the dir itself.
    func writable() -> Finding {
        let id = "state.writable", root = state.root
        guard NodeFacts.exists(root) else {
            var ancestor = root
            while !NodeFacts.exists(ancestor), let slash = ancestor.lastIndex(of: "/") {
                ancestor = slash == ancestor.startIndex ? "/" : String(ancestor[..<slash])
            }
            if access(ancestor, W_OK) == 0, let info = try? Sys.statvfs(ancestor), info.f_flag & UInt(ST_RDONLY) == 0 {
                return Finding(id, .state, .ok, found: "state dir \(root) does not exist yet; moor creates it on the first mount (\(ancestor) is writable)")
            }
            return Finding(id, .state, .problem, found: "state dir \(root) does not exist and \(ancestor) is not writable",
                           fix: "mkdir -p -m 0700 \(root) on a writable file system, or point MOOR_STATE_DIR at one")
        }
        guard NodeFacts.isDirectory(root) else {
            return Finding(id, .state, .problem, found: "state dir \(root) is not a directory",
                           fix: "move \(root) aside, or point MOOR_STATE_DIR at a directory")
        }
        let probe = root + "/.moor-doctor.\(Sys.processID)"
        do {
            let fd = try Sys.open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
            defer { Sys.close(fd); try? Sys.unlink(probe) }
            try Sys.writeAll(fd, Array("moor doctor\n".utf8), probe)
            try Sys.fsync(fd, probe)
        } catch {
            return Finding(id, .state, .problem, found: "state dir \(root) is not writable: \(error)",
                           fix: "make \(root) writable by root (check for a read-only or full file system: df \(root)), or point MOOR_STATE_DIR elsewhere")
        }
        return Finding(id, .state, .ok, found: "state dir \(root) is writable")
    }

    /// Records, staging directories and staging mounts, cross-checked.
    func staging() -> [Finding] {
        let root = state.stagingRoot
        let names = (try? Sys.listDirectory(root)) ?? []
        let recorded = Set(names.filter { $0.hasSuffix(".json") }.compactMap { StagingKey(existing: String($0.dropLast(5))) }.map(\.rawValue))
        let directories = Set(names.compactMap { StagingKey(existing: $0) }.map(\.rawValue).filter { NodeFacts.isDirectory(root + "/" + $0) })
        let mounted = Set(table.mounts(under: root).filter { $0.mountPoint != root }
            .compactMap { StagingKey(existing: String($0.mountPoint.dropFirst(root.count + 1)))?.rawValue })
        var findings: [Finding] = []
        for key in recorded.subtracting(mounted).sorted() {
            let record = root + "/" + key + ".json"
            findings.append(Finding("state.stale-record", .state, .warning, subject: key,
                                    found: "staging record \(record) has no staging mount at \(root)/\(key) (a release stopped half-way)",
                                    fix: "moor stages it again and rewrites the record on the next mount of this volume; if no volume uses it any more: rm \(record) && rmdir \(root)/\(key)"))
        }
        for key in directories.subtracting(mounted).subtracting(recorded).sorted() {
            findings.append(Finding("state.leftover-staging-dir", .state, .warning, subject: key,
                                    found: "staging dir \(root)/\(key) has neither a mount nor a record",
                                    fix: "rmdir \(root)/\(key)"))
        }
        for key in mounted.subtracting(recorded).sorted() {
            findings.append(Finding("state.unrecorded-staging-mount", .state, .problem, subject: key,
                                    found: "staging mount \(root)/\(key) has no record, so moor cannot tell what releasing it must undo (a loop device, an iSCSI session)",
                                    fix: "once no pod or container uses it: umount \(root)/\(key), then undo its source by hand (losetup -d / iscsiadm --logout)"))
        }
        for key in mounted.intersection(recorded).sorted() where consumers(of: key).isEmpty {
            findings.append(Finding("state.unused-staging-mount", .state, .warning, subject: key,
                                    found: "staging mount \(root)/\(key) has no consumer (no pod or container bind-mounts it)",
                                    fix: "moor releases it on the next unmount on this node; to release it now: umount \(root)/\(key) (then rm \(root)/\(key).json)"))
        }
        if findings.isEmpty {
            findings.append(Finding("state.staging", .state, .ok,
                                    found: "\(mounted.count) staging mount(s), each with its record; no stale records"))
        }
        return findings
    }

    /// The core's own rule (same file system, the staged directory or one
    /// inside it, and for bind volumes the staging mount's peer group).
    func consumers(of key: String) -> [MountEntry] {
        StagingKey(existing: key).map { core.consumers(of: $0, in: table) } ?? []
    }

    /// Loop devices backed by a file under the state dir that no mount uses
    /// and no other block device (device-mapper) holds.
    func orphanedLoops() -> [Finding] {
        let prefix = state.root + "/"
        var findings: [Finding] = []
        for name in ((try? Sys.listDirectory("/sys/block")) ?? []).filter({ $0.hasPrefix("loop") }).sorted() {
            let device = "/dev/" + name
            guard let backing = LoopDevices.backingFile(of: device), backing.hasPrefix(prefix) else { continue }
            let number = ((try? Sys.readText("/sys/block/\(name)/dev")) ?? "").split(separator: "\n").first.map(String.init) ?? ""
            let used = table.entries.contains { $0.device.description == number }
            let held = !((try? Sys.listDirectory("/sys/block/\(name)/holders")) ?? []).isEmpty
            guard !used && !held else { continue }
            findings.append(Finding("state.orphaned-loop", .state, .warning, subject: device,
                                    found: "\(device) is attached to \(backing) but nothing mounts it",
                                    fix: "moord detaches it when it starts, and moor on the next mount or Remove of that disk; to free it now: losetup -d \(device)"))
        }
        if findings.isEmpty {
            findings.append(Finding("state.loop-devices", .state, .ok, found: "no orphaned loop devices on files under \(state.root)"))
        }
        return findings
    }
}
