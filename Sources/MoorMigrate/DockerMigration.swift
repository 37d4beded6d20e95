import MoorCore
import MoorDockerOptions

/// `moor migrate docker`: volumes of Docker's `local` driver and of common
/// NFS, sshfs and bind plugins, as moor volume definitions.
public struct DockerMigration: Sendable {
    public var namespace = "default"
    public var defaultCapacity = "10Gi"

    public init() {}

    /// A translated volume, or why not.
    public enum Outcome: Sendable, Equatable {
        case translated(MoorVolume, notes: [MigrationNote])
        case notTranslated(MigrationNote)
    }

    public func translate(_ volume: DockerVolumeInspect) -> Outcome {
        let subject = "docker volume '\(volume.name)' (driver \(volume.driver))"
        var notes: [MigrationNote] = []
        func note(_ kind: MigrationNote.Kind, _ field: String?, _ message: String) {
            notes.append(MigrationNote(kind, subject, field: field.map { "Options.\($0)" }, message))
        }
        let options: [String: String]
        do {
            guard let translated = try translateOptions(volume, note: note) else {
                return .notTranslated(notes.first ?? MigrationNote(.notTranslated, subject, "driver '\(volume.driver)' is not one moor knows"))
            }
            options = translated
        } catch {
            return .notTranslated(MigrationNote(.notTranslated, subject, "\(error)"))
        }
        var moor = MoorVolume(name: volume.name, options: options)
        moor.labels = volume.labels
        if let size = options["size"] { moor.capacity = size }
        if VolumeName(volume.name) == nil {
            return .notTranslated(MigrationNote(.notTranslated, subject, "the name is not a valid moor volume name (\(VolumeName.rule)); create it under another name"))
        }
        do {
            try moor.validate()
        } catch {
            return .notTranslated(MigrationNote(.notTranslated, subject, "moor would refuse it: \(error.userMessage)"))
        }
        moor.dockerOptions = Self.dockerForm(options)
        if !moor.secrets.isEmpty {
            notes.append(MigrationNote(.attention, subject, field: "Options",
                "holds credentials (\(moor.secrets.keys.sorted().joined(separator: ", "))); Docker shows them in `docker volume inspect`, so prefer a root-only file on the host (sshKeyFile / sshPasswordFile)"))
        }
        let pvName = KubernetesName.subdomain(volume.name)
        if pvName != volume.name {
            notes.append(MigrationNote(.attention, subject, "the PersistentVolume is named '\(pvName)' (Kubernetes names are lower case, without '_')"))
        }
        return .translated(moor, notes: notes)
    }

    /// nil when the volume can't be translated; the reason is then in a note.
    func translateOptions(_ volume: DockerVolumeInspect, note: (MigrationNote.Kind, String?, String) -> Void) throws -> [String: String]? {
        var given = volume.options
        switch volume.driver {
        case "local":
            let type = given["type"] ?? ""
            if given.isEmpty {
                guard let mountpoint = volume.mountpoint, !mountpoint.isEmpty else {
                    note(.notTranslated, nil, "a plain local volume, and the input has no Mountpoint to point moor at")
                    return nil
                }
                note(.attention, nil, "the data stays in Docker's directory \(mountpoint): allow it in the policy's allowedHostPaths, and never `docker volume rm` the old volume (that deletes the data); or copy the data into a new moor disk volume instead")
                return ["type": "bind", "path": mountpoint]
            }
            switch type {
            case "tmpfs":
                note(.notTranslated, "type", "a tmpfs volume keeps no data; use a tmpfs mount in the container instead")
                return nil
            case "cifs", "smb3":
                note(.notTranslated, "type", "moor has no CIFS/SMB backend")
                return nil
            default:
                return try LocalDriverOptions.translate(given)
            }
        case "local-persist":
            guard let path = given.removeValue(forKey: "mountpoint") else {
                note(.notTranslated, "mountpoint", "missing: local-persist volumes name their host directory there")
                return nil
            }
            reportLeftovers(given, note: note)
            return ["type": "bind", "path": path, "createPath": "true"]
        case _ where Self.isSSHFSPlugin(volume.driver):
            guard let source = given.removeValue(forKey: "sshcmd") else {
                note(.notTranslated, "sshcmd", "missing: the sshfs plugin needs user@host:/path there")
                return nil
            }
            var result = ["type": "fuse", "helper": "sshfs", "source": source]
            var mountOptions: [String] = []
            if let password = given.removeValue(forKey: "password") { result["sshPassword"] = password }
            if let port = given.removeValue(forKey: "port") { mountOptions.append("port=\(port)") }
            if let key = given.removeValue(forKey: "IdentityFile") { result["sshKeyFile"] = key }
            // The plugin passes every other option to sshfs as -o key=value; so does moor.
            for (key, value) in given.sorted(by: { $0.key < $1.key }) { mountOptions.append(value.isEmpty ? key : "\(key)=\(value)") }
            if !mountOptions.isEmpty { result["mountOptions"] = mountOptions.joined(separator: ",") }
            return result
        case "nfs", "netshare", _ where volume.driver.hasSuffix("/nfs-volume-plugin"):
            // ContainX netshare takes `share`, or the volume name as host/path;
            // trajano's plugin takes `device` like the local driver.
            let location = given.removeValue(forKey: "share") ?? given.removeValue(forKey: "device")
                ?? (volume.name.contains("/") ? volume.name : nil)
            guard let location, let (server, share) = Self.nfsLocation(location) else {
                note(.notTranslated, "share", "no NFS location: expected share=host:/path (or a volume named host/path)")
                return nil
            }
            var result = ["type": "nfs", "server": server, "share": share]
            if let options = given.removeValue(forKey: "nfsopts") {
                let split = NFSMountOptions.split(options)
                if let version = split.version { result["version"] = version }
                if split.readOnly { result["readOnly"] = "true" }
                if !split.rest.isEmpty { result["mountOptions"] = split.rest.joined(separator: ",") }
            }
            if given.removeValue(forKey: "create") != nil {
                note(.dropped, "create", "moor never creates an export; createSubdir=true creates a subdir below one")
            }
            reportLeftovers(given, note: note)
            return result
        default:
            note(.notTranslated, nil, "driver '\(volume.driver)' is not one moor knows (local, local-persist, vieux/sshfs, netshare nfs, trajano nfs-volume-plugin); its options were: \(volume.options.keys.sorted().joined(separator: ", "))")
            return nil
        }
    }

    /// moord gives a native NFS definition a directory of its own on the
    /// share (`subdir=<volume name>`), but keeps the exact export of a
    /// local-driver definition. A migrated volume must show the same data,
    /// so NFS goes to Docker in the local driver's form; moor translates it
    /// back to exactly `options` (checked here, not assumed).
    static func dockerForm(_ options: [String: String]) -> [String: String]? {
        guard options["type"] == "nfs", options["subdir"] == nil, let server = options["server"], let share = options["share"] else { return nil }
        var o = ["addr=\(server)"]
        if let version = options["version"] { o.append("nfsvers=\(version)") }
        if let mountOptions = options["mountOptions"] { o.append(mountOptions) }
        var form = ["type": "nfs", "o": o.joined(separator: ","), "device": ":" + share]
        for (key, value) in options where !["type", "server", "share", "version", "mountOptions"].contains(key) { form[key] = value }
        return (try? LocalDriverOptions.translate(form)) == options ? form : nil
    }

    func reportLeftovers(_ options: [String: String], note: (MigrationNote.Kind, String?, String) -> Void) {
        for key in options.keys.sorted() { note(.dropped, key, "no moor equivalent") }
    }

    static func isSSHFSPlugin(_ driver: String) -> Bool {
        let name = driver.split(separator: ":").first.map(String.init) ?? driver
        return name == "sshfs" || name.hasSuffix("/sshfs") || name.hasSuffix("/docker-volume-sshfs")
    }

    /// `host:/path` or `host/path`.
    static func nfsLocation(_ text: String) -> (String, String)? {
        if let colon = text.firstIndex(of: ":") {
            let host = String(text[..<colon]), path = String(text[text.index(after: colon)...])
            return host.isEmpty || !path.hasPrefix("/") ? nil : (host, path)
        }
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex else { return nil }
        return (String(text[..<slash]), String(text[slash...]))
    }

    /// All volumes: the commands and manifests, and the notes.
    public func run(_ volumes: [DockerVolumeInspect], output: DockerOutput, driverName: String = "moor") throws -> MigrationResult {
        var notes: [MigrationNote] = []
        var translated: [MoorVolume] = []
        for volume in volumes {
            switch translate(volume) {
            case .translated(let moor, let more): translated.append(moor); notes += more
            case .notTranslated(let why): notes.append(why)
            }
        }
        var text = ""
        if output != .manifests {
            if output == .both { text += "# Docker: run on each host that uses these volumes\n" }
            text += translated.map { $0.dockerCommand(driverName: driverName) + "\n" }.joined()
        }
        if output != .commands {
            if output == .both { text += "\n# Kubernetes: kubectl apply -f <this part>\n" }
            text += try YAMLText.documents(translated.flatMap { $0.kubernetesDocuments(namespace: namespace, defaultCapacity: defaultCapacity) })
        }
        return MigrationResult(output: text, notes: notes)
    }
}

public enum DockerOutput: String, Sendable, CaseIterable {
    case commands, manifests, both
}
