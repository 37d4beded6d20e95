#if canImport(Glibc)
import Glibc
#endif
import Logging

/// FUSE shares: sshfs first, and glusterfs, s3fs, rclone or any
/// `mount.fuse.<helper>` the node has. The daemon must outlive the caller
/// (kubelet restarts, moord restarts): it runs under `systemd-run --scope`
/// where systemd is PID 1, otherwise in a session of its own with every
/// inherited descriptor closed and its output in a file, never a pipe.
/// Credentials go to root-only files under `<stateDir>/credentials`,
/// removed on release, and never into argv, logs or errors.
public struct FUSEBackend: Backend {
    public let node: NodeContext

    public init(node: NodeContext) { self.node = node }

    public static func spec(of definition: VolumeDefinition) -> FUSESpec? {
        if case .fuse(let spec) = definition.spec { spec } else { nil }
    }

    public func stagingKey(for definition: VolumeDefinition) throws -> StagingKey {
        let spec = spec(definition)
        // Options such as port=2222 pick a different server: part of the
        // source. So are the credentials: a consumer that presents other
        // ones (or none) gets a staging mount of its own, made with its own
        // credentials, and never joins one it could not have made itself.
        let credentials = Secret.identity([spec.sshKey, spec.sshPassword]) + "\u{0}" + (spec.sshKeyFile ?? "") + "\u{0}" + (spec.sshPasswordFile ?? "")
        return try node.stagingKey(prefix: "fuse-" + spec.helper,
                                   source: [spec.helper, spec.source, definition.common.mountOptions.joined, credentials].joined(separator: "\u{0}"))
    }

    var credentialsRoot: String { state.root + "/credentials" }
    var logsRoot: String { state.root + "/logs" }

    public func stage(_ definition: VolumeDefinition, at path: String, deadline: Deadline) throws -> StageResult {
        let spec = spec(definition)
        let policy = try node.policy()
        guard policy.allowedFuseHelpers.contains(spec.helper) else {
            throw MoorError(.forbidden, "FUSE helper '\(spec.helper)' is not allowed by the node's policy (allowedFuseHelpers)")
        }
        // sshfs's options were checked at parse time; another helper's come
        // from the policy, known only now.
        if spec.helper != "sshfs" {
            try FUSESpec.checkHelperOptions(definition.common.mountOptions, helper: spec.helper,
                                            patterns: policy.fuseOptionPatterns(for: spec.helper))
        }
        let key = try stagingKey(for: definition)
        try Sys.mkdirs(credentialsRoot, mode: 0o700)
        try Sys.mkdirs(logsRoot, mode: 0o700)
        let log = logsRoot + "/" + key.rawValue + ".log"
        try? Sys.unlink(log)
        var credentials: [String] = []
        do {
            var command = try mountCommand(spec, definition.common, key: key, target: path, log: log,
                                           credentials: &credentials, policy: policy, deadline: deadline)
            command.outputFile = log
            let result = try runner.run(Self.outsideCaller(command))
            guard result.succeeded, try mounter.mountTable().isMountPoint(path) else {
                throw MoorError(.system, "\(spec.helper) could not mount \(spec.source): \(Self.reason(result.stderr))")
            }
        } catch {
            // Leave no daemon, no mount and no credential behind.
            cleanUp(path)
            credentials.forEach { try? Sys.unlink($0) }
            throw Self.redacted(error, spec)
        }
        // mount.fuse names the type after the helper; glusterfs is `fuse.glusterfs` too.
        let types: Set<String> = spec.helper == "sshfs" ? ["fuse.sshfs"] : ["fuse." + spec.helper, "fuse", "fuseblk"]
        return StageResult(record: StagingRecord(type: .fuse, source: "\(spec.helper) \(spec.source)", credentialFiles: credentials),
                           created: false, expected: ExpectedMount(fsTypes: types))
    }

    /// The helper's argv. Credentials are referenced by file, never by value.
    func mountCommand(_ spec: FUSESpec, _ common: CommonOptions, key: StagingKey, target: String, log: String,
                      credentials: inout [String], policy: Policy, deadline: Deadline) throws -> Command {
        var options = MountOptionList()
        options.append("allow_other")
        if common.readOnly { options.append("ro") }
        if let uid = common.uid { options.append("uid=\(uid)") }
        if let gid = common.gid { options.append("gid=\(gid)") }
        let timeoutSeconds = max(1, deadline.budget.seconds)
        switch spec.helper {
        case "sshfs":
            options.append("reconnect")
            options.append("ServerAliveInterval=15")
            options.append("ServerAliveCountMax=3")
            options.append("ConnectTimeout=\(min(timeoutSeconds, 60))")
            // Trust on first use, per node, unless the user's options say otherwise.
            if !common.mountOptions.contains("StrictHostKeyChecking") { options.append("StrictHostKeyChecking=accept-new") }
            options.append("UserKnownHostsFile=\(credentialsRoot)/known_hosts")
            if let sshKey = spec.sshKey {
                let file = credentialsRoot + "/" + keyName(key: key, suffix: ".key")
                try writeCredential(file, sshKey)
                credentials.append(file)
                options.append("IdentityFile=\(file)")
                options.append("IdentitiesOnly=yes")
            } else if let file = spec.sshKeyFile {
                try checkRootOnly(file, option: "sshKeyFile", policy: policy)
                options.append("IdentityFile=\(file)")
                options.append("IdentitiesOnly=yes")
            } else {
                // No key given means no key: never root's own ~/.ssh/id_*,
                // which may open other servers to whoever names them.
                options.append("IdentityFile=/dev/null")
                options.append("IdentitiesOnly=yes")
            }
            var stdin: String?
            if let password = spec.sshPassword {
                let file = credentialsRoot + "/" + keyName(key: key, suffix: ".password")
                try writeCredential(file, password)
                credentials.append(file)
                stdin = file
            } else if let file = spec.sshPasswordFile {
                try checkRootOnly(file, option: "sshPasswordFile", policy: policy)
                stdin = file
            }
            if stdin != nil { options.append("password_stdin") } else { options.append("BatchMode=yes") }
            // sshfs discards ssh's stderr, which holds the reason a login failed:
            // ssh -E keeps it in the mount's log file instead.
            options.append("ssh_command=ssh -E \(log)")
            for option in common.mountOptions.options { options.append(option) }
            var command = Command("sshfs", [spec.source, target, "-o", options.joined], timeout: try deadline.remaining(for: "sshfs"))
            command.stdinFile = stdin
            return command
        default:
            for option in common.mountOptions.options { options.append(option) }
            let type = spec.helper == "glusterfs" ? "glusterfs" : "fuse." + spec.helper
            return Command("mount", ["-t", type, "-o", options.joined, "--", spec.source, target], timeout: try deadline.remaining(for: "mount"))
        }
    }

    private func keyName(key: StagingKey, suffix: String) -> String { key.rawValue + suffix }

    /// Wraps the helper so its daemon lives in a cgroup of its own when
    /// systemd manages the node; `--quiet` keeps "Running scope as unit"
    /// out of the output.
    static func outsideCaller(_ command: Command) -> Command {
        guard Self.systemdIsInit, CommandRunner.resolve("systemd-run") != nil else { return command }
        var wrapped = command
        wrapped.program = "systemd-run"
        wrapped.arguments = ["--scope", "--quiet", "--collect", "--description=moor FUSE mount", "--",
                             CommandRunner.resolve(command.program) ?? command.program] + command.arguments
        return wrapped
    }

    static var systemdIsInit: Bool { (try? Sys.lstat("/run/systemd/system")).map(Sys.isDirectory) ?? false }

    func writeCredential(_ path: String, _ secret: Secret) throws {
        try secret.withValue { value in
            var text = value
            if !text.hasSuffix("\n") { text += "\n" } // ssh rejects a key file without a final newline
            try state.writeAtomically(path, Array(text.utf8)) // created 0600
        }
    }

    /// A credential file named in options must match the policy's
    /// `allowedCredentialFiles` (checked first, so a refused path is never
    /// probed) and be root's and unreadable by others: anyone could
    /// otherwise point moor at their own key, or at root's.
    func checkRootOnly(_ path: String, option: String, policy: Policy) throws {
        guard policy.allowsCredentialFile(path) else {
            throw MoorError(.forbidden, "\(option) names a file the node's policy does not allow (allowedCredentialFiles)")
        }
        guard let info = try? Sys.stat(path) else { throw MoorError(.notFound, "\(option) \(path) does not exist on this node") }
        guard info.st_uid == 0, info.st_mode & 0o077 == 0 else {
            throw MoorError(.forbidden, "\(option) \(path) must belong to root with mode 0600 or stricter")
        }
    }

    public func release(at path: String, record: StagingRecord?, deadline: Deadline) throws {
        let result = try? runner.run(Command("fusermount3", ["-u", path], timeout: min(deadline.remaining(for: "fusermount3"), .seconds(10))))
        if result?.succeeded != true, try mounter.mountTable().isMountPoint(path) {
            try? mounter.unmount(path, mode: .detach)
        }
        killDaemons(of: path)
        for file in record?.credentialFiles ?? [] where file.hasPrefix(credentialsRoot + "/") { try? Sys.unlink(file) }
    }

    /// Unmounts lazily and stops any daemon still serving `path`.
    func cleanUp(_ path: String) {
        if (try? mounter.mountTable().isMountPoint(path)) == true {
            _ = try? runner.run(Command("fusermount3", ["-u", "-z", path], timeout: .seconds(5)))
            try? mounter.unmount(path, mode: .detach)
        }
        killDaemons(of: path)
    }

    /// Daemons whose command line names `path` (sshfs and friends keep the
    /// mount point in argv): a dead mount's daemon may hang on, and a failed
    /// mount's must not linger.
    func killDaemons(of path: String) {
        for pid in Self.processes(naming: path) { kill(pid, SIGTERM) }
    }

    static func processes(naming path: String) -> [pid_t] {
        let wanted = Array(path.utf8)
        return ((try? Sys.listDirectory("/proc")) ?? []).compactMap { pid_t($0) }.filter { pid in
            guard pid != getpid(), let bytes = try? Sys.readFile("/proc/\(pid)/cmdline", limit: 1 << 16) else { return false }
            return bytes.split(separator: 0).contains { Array($0) == wanted }
        }
    }

    /// The helper's last few meaningful lines, for the user (sshfs's own
    /// last line is often "read: Connection reset by peer", after the
    /// line from ssh that says why).
    static func reason(_ text: String) -> String {
        // ssh ends its lines with CRLF, which Swift counts as one Character.
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map { String($0).trimmed(" \t") }
            .filter { !$0.isEmpty && !$0.hasPrefix("Warning: Permanently added") }
        return lines.isEmpty ? "no output" : lines.suffix(3).joined(separator: "; ")
    }

    /// Errors never carry a credential: the helpers only see file paths,
    /// but be sure anyway.
    static func redacted(_ error: any Error, _ spec: FUSESpec) -> any Error {
        var message = MoorError.from(error).message
        for secret in [spec.sshKey, spec.sshPassword].compactMap({ $0 }) {
            secret.withValue { value in
                if !value.isEmpty { message = message.replacing(value, with: "<redacted>") }
            }
        }
        return MoorError(MoorError.from(error).kind, message)
    }
}
