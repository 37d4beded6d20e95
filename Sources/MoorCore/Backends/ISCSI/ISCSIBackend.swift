#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One iSCSI LUN per volume. Attach goes through `iscsiadm` (discovery, a
/// node record with manual scan and startup, CHAP as node-record updates,
/// login under the deadline) unless a session to the target already
/// exists; then only this LUN is scanned, its block device found in sysfs,
/// and the core's safe format-and-mount applies. With several portals and
/// multipathd running, the dm-multipath map over the paths is mounted.
/// Release unmounts, flushes the map, flushes and deletes the SCSI devices,
/// and logs out only when no other LUN of the target is staged on the node,
/// decided under a per-target lock.
public struct ISCSIBackend: Backend {
    public let node: NodeContext

    public init(node: NodeContext) { self.node = node }

    public var ownsFileSystem: Bool { true }

    public static func spec(of definition: VolumeDefinition) -> ISCSISpec? {
        if case .iscsi(let spec) = definition.spec { spec } else { nil }
    }

    public func stagingKey(for definition: VolumeDefinition) throws -> StagingKey {
        let spec = spec(definition)
        let leaf = spec.iqn.split(separator: ":").last.map(String.init) ?? "target"
        return try node.stagingKey(prefix: "iscsi-\(leaf)-lun\(spec.lun)",
                                   source: ([spec.iqn, String(spec.lun)] + spec.portals.sorted() + [credentialIdentity(spec)]).joined(separator: "\u{0}"))
    }

    /// Everything that authenticates this node to the target: a consumer
    /// with other credentials never shares the session (see `attach`).
    func credentialIdentity(_ spec: ISCSISpec) -> String {
        Secret.identity([spec.chapUser, spec.chapSecret, spec.discoveryChapUser, spec.discoveryChapSecret])
            + "\u{0}" + (spec.initiatorName ?? "") + "\u{0}" + (spec.iface ?? "")
    }

    func targetLock(_ iqn: String) -> String { StagingKey.stableName(prefix: "iscsi-target", source: iqn) }

    public func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult {
        let spec = spec(definition)
        let hosts: [Int] = try node.state.withLock(targetLock(spec.iqn)) {
            var hosts: [Int] = []
            var failures: [String] = []
            for portal in spec.portals {
                do { hosts.append(try attach(spec, portal: portal, timeout: definition.common.timeout, deadline: deadline)) } catch {
                    failures.append(MoorError.from(error).message)
                }
            }
            guard !hosts.isEmpty else { throw MoorError(.backendUnavailable, failures.joined(separator: "; ")) }
            return hosts
        }
        var record = StagingRecord(type: .iscsi, source: "iscsi \(spec.iqn) lun \(spec.lun)")
        record.iscsiTarget = spec.iqn
        record.iscsiPortals = spec.portals
        record.iscsiLUN = spec.lun
        do {
            let (device, map) = try waitForDevice(spec, hosts: hosts, deadline: deadline)
            record.device = device
            record.multipathMap = map
            let created = try SafeFormat(runner: runner, mounter: mounter).formatAndMount(
                .init(device: device, target: path, fsType: spec.fsType, mkfsOptions: spec.mkfsOptions,
                      mountOptions: definition.common.mountOptions, readOnly: definition.common.readOnly),
                deadline: deadline)
            return StageResult(record: record, created: created, expected: DiskBackend.expected(device, fsType: spec.fsType))
        } catch {
            try? detach(record, except: path, deadline: Deadline(.seconds(30)))
            throw error
        }
    }

    /// Logs in through `portal` unless a session exists; returns the SCSI host.
    func attach(_ spec: ISCSISpec, portal: String, timeout: Duration, deadline: Deadline) throws -> Int {
        if let session = ISCSISessions.sessions(to: spec.iqn, portal: portal).first, let host = session.host {
            try checkSessionCredentials(spec)
            logger.debug("iscsi session exists", metadata: ["iqn": "\(spec.iqn)", "portal": "\(portal)"])
            return host
        }
        let iface = try interface(for: spec, deadline: deadline)
        let node = ["-m", "node", "-T", spec.iqn, "-p", portal] + (iface.map { ["-I", $0] } ?? [])
        let discovery = ["-m", "discoverydb", "-t", "sendtargets", "-p", portal] + (iface.map { ["-I", $0] } ?? [])
        do {
            _ = try iscsiadm(discovery + ["-o", "new"], deadline: deadline, allowed: [15])
            let found: CommandResult
            if let user = spec.discoveryChapUser, let secret = spec.discoveryChapSecret {
                try update(discovery, "discovery.sendtargets.auth.authmethod", .plain("CHAP"), deadline)
                try update(discovery, "discovery.sendtargets.auth.username", .secret(user), deadline)
                try update(discovery, "discovery.sendtargets.auth.password", .secret(secret), deadline)
                // The discovery record is a file under /etc/iscsi that outlives
                // this call: its secret goes as soon as discovery is done,
                // whether it worked or not.
                let discovered = Result { try iscsiadm(discovery + ["--discover"], deadline: deadline, allowed: []) }
                forgetDiscoveryCredentials(discovery)
                found = try discovered.get()
            } else {
                found = try iscsiadm(discovery + ["--discover"], deadline: deadline, allowed: [])
            }
            guard found.stdout.contains(spec.iqn) else {
                throw MoorError(.notFound, "iscsi: portal \(portal) does not offer target \(spec.iqn)")
            }
        } catch {
            deleteDiscoveryRecord(discovery, portal: portal)
            throw error
        }
        do {
            // Only this LUN is scanned, by moor; nothing logs in at boot.
            try update(node, "node.session.scan", .plain("manual"), deadline)
            try update(node, "node.startup", .plain("manual"), deadline)
            // One login attempt that fits the volume's timeout, so iscsid does
            // not keep retrying after moor gave up.
            let loginSeconds = max(2, min(15, timeout.components.seconds / 2))
            try update(node, "node.conn[0].timeo.login_timeout", .plain(String(loginSeconds)), deadline)
            try update(node, "node.session.initial_login_retry_max", .plain("1"), deadline)
            // How long I/O waits for a lost target before failing: the
            // volume's timeout (open-iscsi's default is 120 s), so that an
            // unmount after the target died also returns within it.
            let replacement = max(5, min(120, timeout.components.seconds))
            try update(node, "node.session.timeo.replacement_timeout", .plain(String(replacement)), deadline)
            if let user = spec.chapUser, let secret = spec.chapSecret {
                try update(node, "node.session.auth.authmethod", .plain("CHAP"), deadline)
                try update(node, "node.session.auth.username", .secret(user), deadline)
                try update(node, "node.session.auth.password", .secret(secret), deadline)
            }
            try iscsiadm(node + ["--login"], deadline: deadline, allowed: [15])
        } catch {
            // Leave no session and no record holding a CHAP secret behind.
            _ = try? iscsiadm(node + ["--logout"], deadline: Deadline(.seconds(10)), allowed: [2, 21])
            _ = try? iscsiadm(node + ["-o", "delete"], deadline: Deadline(.seconds(10)), allowed: [21])
            deleteDiscoveryRecord(discovery, portal: portal)
            throw error
        }
        try recordSessionCredentials(spec)
        let clock = ContinuousClock()
        while clock.now < deadline.end {
            if let host = ISCSISessions.sessions(to: spec.iqn, portal: portal).first?.host { return host }
            usleep(50_000)
        }
        throw MoorError(.timedOut, "iscsi: logged in to \(spec.iqn) at \(portal), but no session appeared in sysfs")
    }

    /// Deletes the portal's discovery record after a failure, unless a
    /// session through that portal (to another target) still relies on it.
    func deleteDiscoveryRecord(_ discovery: [String], portal: String) {
        guard ISCSISessions.all().allSatisfy({ !$0.portals.contains(portal) }) else { return }
        _ = try? iscsiadm(discovery + ["-o", "delete"], deadline: Deadline(.seconds(10)), allowed: [21])
    }

    /// Blanks the discovery record's CHAP fields (best effort: the record
    /// is root's, and the next discovery sets them again).
    func forgetDiscoveryCredentials(_ discovery: [String]) {
        for field in ["discovery.sendtargets.auth.password", "discovery.sendtargets.auth.username"] {
            _ = try? iscsiadm(discovery + ["-o", "update", "-n", field, "-v", ""], deadline: Deadline(.seconds(10)), allowed: [])
        }
        _ = try? iscsiadm(discovery + ["-o", "update", "-n", "discovery.sendtargets.auth.authmethod", "-v", "None"],
                          deadline: Deadline(.seconds(10)), allowed: [])
    }

    /// Credentials are part of identity: a session is shared by the LUNs of
    /// its target, so a consumer joins one only if it presents the
    /// credentials the session was opened with. moor keeps a keyed digest of
    /// them (never the secret) per target from login to logout.
    var sessionsRoot: String { node.state.root + "/iscsi-sessions" }
    func sessionRecord(_ iqn: String) -> String { sessionsRoot + "/" + targetLock(iqn) }

    func credentialDigest(_ spec: ISCSISpec) throws -> String {
        try node.stagingKey(prefix: "session", source: spec.iqn + "\u{0}" + credentialIdentity(spec)).rawValue
    }

    func recordSessionCredentials(_ spec: ISCSISpec) throws {
        try Sys.mkdirs(sessionsRoot, mode: 0o700)
        try node.state.writeAtomically(sessionRecord(spec.iqn), Array(try credentialDigest(spec).utf8))
    }

    func checkSessionCredentials(_ spec: ISCSISpec) throws {
        guard let recorded = try? Sys.readFile(sessionRecord(spec.iqn), limit: 4096) else {
            throw MoorError(.forbidden, "iscsi: a session to \(spec.iqn) exists that moor did not open, so it cannot tell whether this volume's credentials are the ones it was opened with; log it out first (iscsiadm -m node -T \(spec.iqn) --logout)")
        }
        guard String(decoding: recorded, as: UTF8.self) == (try credentialDigest(spec)) else {
            throw MoorError(.forbidden, "iscsi: the session to \(spec.iqn) on this node was opened with other credentials (chapUser/chapSecret, initiatorName or iface) than this volume's; a consumer must present the same ones")
        }
    }

    /// The iscsiadm interface: the volume's `iface`, or one moor makes for
    /// `initiatorName` (the initiator name is a property of an interface).
    func interface(for spec: ISCSISpec, deadline: Deadline) throws -> String? {
        guard let initiator = spec.initiatorName else { return spec.iface }
        let name = spec.iface ?? StagingKey.stableName(prefix: "moor", source: initiator)
        _ = try iscsiadm(["-m", "iface", "-I", name, "-o", "new"], deadline: deadline, allowed: [15])
        try update(["-m", "iface", "-I", name], "iface.initiatorname", .plain(initiator), deadline)
        return name
    }

    enum Value { case plain(String), secret(Secret) }

    /// One node-record field. Secrets are argv for an instant and are
    /// redacted in every message and log.
    func update(_ record: [String], _ name: String, _ value: Value, _ deadline: Deadline) throws {
        switch value {
        case .plain(let text):
            _ = try iscsiadm(record + ["-o", "update", "-n", name, "-v", text], deadline: deadline, allowed: [])
        case .secret(let secret):
            try secret.withValue { text in
                var command = Command("iscsiadm", record + ["-o", "update", "-n", name, "-v", text], timeout: try deadline.remaining(for: "iscsiadm"))
                command.sensitiveArguments = [record.count + 5]
                let result = try runner.run(command)
                guard result.succeeded else { throw MoorError(.system, "iscsiadm could not set \(name) (exit status \(result.status))") }
            }
        }
    }

    /// Runs iscsiadm; exit statuses in `allowed` count as success
    /// (15 session exists, 21 no records, 2 session not found).
    @discardableResult
    func iscsiadm(_ arguments: [String], deadline: Deadline, allowed: Set<Int32>) throws -> CommandResult {
        let result = try runner.run(Command("iscsiadm", arguments, timeout: deadline.remaining(for: "iscsiadm")))
        logger.debug("iscsiadm", metadata: ["args": "\(arguments.prefix(2).joined(separator: " ")) \(arguments.last ?? "")",
                                            "ms": "\(result.duration.components.seconds * 1000 + result.duration.components.attoseconds / 1_000_000_000_000_000)"])
        guard result.succeeded || allowed.contains(result.status) else {
            let reason = result.status == 24 ? "CHAP authentication failed" : CommandResult.tail(result.stderr.isEmpty ? result.stdout : result.stderr)
            throw MoorError(result.status == 24 ? .forbidden : .system, "iscsiadm \(arguments.prefix(2).joined(separator: " ")) failed: \(reason)")
        }
        return result
    }

    /// Scans exactly this LUN on each host and waits for its block devices,
    /// one path per session. With more than one path and multipathd running,
    /// waits for the multipath map over all of them and returns it (device
    /// and map name); otherwise one path.
    func waitForDevice(_ spec: ISCSISpec, hosts: [Int], deadline: Deadline) throws -> (device: String, map: String?) {
        for host in hosts {
            // Channel and target are always 0 for iSCSI.
            try? Sys.writeText("/sys/class/scsi_host/host\(host)/scan", "0 0 \(spec.lun)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        var paths: [String] = []
        var firstSeen: ContinuousClock.Instant?
        // The scan returns once the LUN is probed, so every path is there at
        // once; a path missing 2 s after the first is given up on.
        while clock.now < deadline.end {
            paths = hosts.flatMap { ISCSISessions.blockDevices(host: $0, lun: spec.lun) }.filter { (try? Sys.stat($0)) != nil }
            if !paths.isEmpty { firstSeen = firstSeen ?? clock.now }
            if paths.count >= hosts.count || firstSeen.map({ clock.now - $0 > .seconds(2) }) == true { break }
            usleep(50_000)
        }
        guard let first = paths.first else {
            throw MoorError(.timedOut, "iscsi: LUN \(spec.lun) of \(spec.iqn) did not appear as a block device within the volume's timeout")
        }
        logger.debug("iscsi device appeared", metadata: ["device": "\(first)", "paths": "\(paths.count)", "ms": "\(Self.milliseconds(clock.now - start))"])
        let multipathd = paths.count > 1 && Multipath.daemonRunning()
        if multipathd {
            // Bounded: a multipathd whose find_multipaths or blacklist never
            // admits this LUN must not cost every mount the whole timeout.
            let waitStart = clock.now
            let waitEnd = min(deadline.end, waitStart + Self.multipathWait)
            while clock.now < waitEnd {
                if let map = Multipath.map(over: paths) {
                    logger.info("iscsi multipath device", metadata: ["device": "\(map.device)", "map": "\(map.name)",
                        "paths": "\(map.paths.joined(separator: ","))", "ms": "\(Self.milliseconds(clock.now - waitStart))"])
                    return (map.device, map.name)
                }
                usleep(50_000)
            }
            guard clock.now < deadline.end else {
                throw MoorError(.timedOut, "iscsi: multipathd made no multipath device over \(paths.joined(separator: ", ")) within the volume's timeout")
            }
            logger.warning("iscsi: multipathd is running but made no multipath device over the paths; using one path (check find_multipaths and the blacklist)",
                           metadata: ["paths": "\(paths.joined(separator: ","))", "waited": "\(Self.milliseconds(clock.now - waitStart)) ms"])
        }
        // A map multipathd already made holds the path exclusively: mount the map.
        if let map = Multipath.map(over: [first]) { return (map.device, map.name) }
        if spec.portals.count > 1 && !multipathd {
            logger.info("iscsi: several portals but \(paths.count > 1 ? "multipathd is not running" : "only one path"): using one path",
                        metadata: ["device": "\(first)", "paths": "\(paths.count)"])
        }
        return (first, nil)
    }

    /// How long a stage waits for multipathd's map before using one path.
    static let multipathWait: Duration = .seconds(30)

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    public func release(at path: String, record: StagingRecord?, deadline: Deadline) throws {
        try NetworkUnmount(runner: runner, mounter: mounter, logger: logger).unmount(path, deadline: deadline)
        guard let record else { return }
        try detach(record, except: path, deadline: deadline)
    }

    /// Flushes the LUN's multipath map, flushes and deletes its SCSI
    /// devices, then logs out of the target if no other staged volume uses it.
    func detach(_ record: StagingRecord, except path: String, deadline: Deadline) throws {
        guard let iqn = record.iscsiTarget, let lun = record.iscsiLUN else { return }
        try node.state.withLock(targetLock(iqn)) {
            let sessions = ISCSISessions.sessions(to: iqn)
            let devices = sessions.compactMap(\.host).flatMap { ISCSISessions.blockDevices(host: $0, lun: lun) }
            // The map goes first: its paths must not vanish under it. Any map
            // over these paths (one made after a failed stage too), and the
            // recorded one if all paths are gone, but never another LUN's.
            var maps = Multipath.maps(holdingAnyOf: devices)
            let names = Set(devices.map(Multipath.kernelName))
            if let recorded = record.multipathMap, !maps.contains(where: { $0.name == recorded }),
               let map = Multipath.maps().first(where: { $0.name == recorded && Set($0.paths).isSubset(of: names) }) {
                maps.append(map)
            }
            for map in maps { try flush(map, deadline: deadline) }
            for device in devices {
                logger.debug("iscsi flush and delete", metadata: ["device": "\(device)"])
                _ = try? runner.run(Command("blockdev", ["--flushbufs", device], timeout: .seconds(10)))
                let name = device.split(separator: "/").last.map(String.init) ?? ""
                try? Sys.writeText("/sys/block/\(name)/device/delete", "1")
            }
            guard !targetInUse(iqn, except: path) else {
                logger.debug("iscsi session kept: another LUN of the target is staged", metadata: ["iqn": "\(iqn)"])
                return
            }
            for portal in record.iscsiPortals ?? [] {
                let node = ["-m", "node", "-T", iqn, "-p", portal]
                _ = try? iscsiadm(node + ["--logout"], deadline: Deadline(.seconds(30)), allowed: [2, 21])
                _ = try? iscsiadm(node + ["-o", "delete"], deadline: Deadline(.seconds(10)), allowed: [21])
            }
            if ISCSISessions.sessions(to: iqn).isEmpty { try? Sys.unlink(sessionRecord(iqn)) }
            logger.info("iscsi logged out", metadata: ["iqn": "\(iqn)"])
        }
    }

    /// `multipath -f` under the deadline, retried while the map is briefly
    /// held (udev's blkid right after the unmount). If it stays, the paths
    /// and the session are kept: pulling them from under a live map would
    /// turn its I/O into errors.
    func flush(_ map: MultipathMap, deadline: Deadline) throws {
        let clock = ContinuousClock()
        let until = min(deadline.end, clock.now + .seconds(15))
        var last: CommandResult?
        repeat {
            let step = max(.seconds(2), min(.seconds(10), until - clock.now))
            let result = try? runner.run(Command("multipath", ["-f", map.name], timeout: step))
            logger.debug("multipath -f", metadata: ["map": "\(map.name)", "status": "\(result.map { String($0.status) } ?? "killed")"])
            if Multipath.maps().allSatisfy({ $0.name != map.name }) {
                logger.info("iscsi multipath map flushed", metadata: ["map": "\(map.name)"])
                return
            }
            last = result
            usleep(500_000)
        } while clock.now < until
        let why = last.map { CommandResult.tail($0.stderr.isEmpty ? $0.stdout : $0.stderr) } ?? "it did not finish in time"
        throw MoorError(.busy, "iscsi: could not flush multipath map \(map.name) (\(why)); its paths and the session are kept")
    }

    /// Whether another staging mount on this node holds a LUN of `iqn`.
    func targetInUse(_ iqn: String, except path: String) -> Bool {
        let root = node.state.stagingRoot
        let table = (try? mounter.mountTable()) ?? MountTable(entries: [])
        return ((try? Sys.listDirectory(root)) ?? []).filter { $0.hasSuffix(".json") }.contains { file in
            let staging = root + "/" + String(file.dropLast(5))
            guard staging != path, table.isMountPoint(staging), let other = StagingRecord.load(root + "/" + file) else { return false }
            return other.iscsiTarget == iqn
        }
    }
}
