import MoorCore
import Yams

/// One volume source rewritten as moor options.
struct MoorTranslation {
    var options: [String: String]
    /// flexVolume.readOnly: how the pod sees it (kubelet's `readwrite`).
    var readOnly = false
    /// The Secret the driver gets (name, and namespace for a PV).
    var secretRef: Node?
    /// Fields of the old flexVolume that keep their meaning (fsType).
    var extra: [(String, Node)] = []
    /// What the user must do, worth saying only if the translation is used.
    var reminders: [MigrationNote] = []

    mutating func addMountOptions(_ list: [String]) {
        guard !list.isEmpty else { return }
        var rest = list
        if options["type"] == "nfs" {
            let split = NFSMountOptions.split(list)
            if let version = split.version { options["version"] = version }
            if split.readOnly { options["readOnly"] = "true" }
            rest = split.rest
        }
        if !rest.isEmpty {
            options["mountOptions"] = ((options["mountOptions"].map { [$0] } ?? []) + rest).joined(separator: ",")
        }
    }

    /// The same parser moor uses at mount time. A definition it refuses is
    /// reported, and the document keeps its old source.
    func validate(name: String, subject: String, field: String, notes: inout [MigrationNote]) -> Bool {
        do {
            try MoorVolume(name: name, options: options).validate()
            notes += reminders
            return true
        } catch {
            notes.append(MigrationNote(.notTranslated, subject, field: field, "moor would refuse it: \(error.userMessage)"))
            return false
        }
    }

    func flexVolume(persistent: Bool) -> Node {
        var pairs: [(String, Node)] = [("driver", .string(MoorVolume.driver))]
        pairs += extra
        if readOnly { pairs.append(("readOnly", Node("true", Tag(.bool)))) }
        if let secretRef { pairs.append(("secretRef", secretRef)) }
        pairs.append(("options", .map(MoorVolume.ordered(options).map { ($0.key, .string($0.value)) })))
        return .map(pairs)
    }
}

/// In-tree volume sources (and flexVolume drivers whose options are known)
/// to moor. Every field is either carried over or named in a note.
enum InTreeToMoor {
    enum Outcome { case translated(MoorTranslation), notTranslated }

    static func translate(_ key: String, _ source: Node, subject: String, field: String,
                          notes: inout [MigrationNote]) throws(MigrationInputError) -> Outcome {
        var reader = SourceReader(node: source, subject: subject, field: field)
        let translation: MoorTranslation?
        switch key {
        case "nfs": translation = try nfs(&reader)
        case "iscsi": translation = try iscsi(&reader, notes: &notes)
        case "hostPath": translation = try hostPath(&reader, notes: &notes)
        case "local": translation = try local(&reader, notes: &notes)
        case "flexVolume": translation = try flexVolume(&reader, notes: &notes)
        case "glusterfs":
            notes.append(MigrationNote(.notTranslated, subject, field: field,
                "GlusterFS mounts through moor as type=fuse, helper=glusterfs, source=<server>:/<volume>; the in-tree source names an Endpoints object that only the cluster can resolve, so write that definition by hand (docs/fuse.md)"))
            return .notTranslated
        case "csi":
            notes.append(MigrationNote(.notTranslated, subject, field: field, "already a CSI volume"))
            return .notTranslated
        default:
            notes.append(MigrationNote(.notTranslated, subject, field: field, "moor has no backend for '\(key)' volumes"))
            return .notTranslated
        }
        guard let translation else { return .notTranslated }
        notes += reader.leftovers()
        return .translated(translation)
    }

    static func nfs(_ reader: inout SourceReader) throws(MigrationInputError) -> MoorTranslation {
        var options = ["type": "nfs", "server": try reader.required("server"), "share": try reader.required("path")]
        let readOnly = try reader.bool("readOnly")
        if readOnly { options["readOnly"] = "true" }
        return MoorTranslation(options: options, readOnly: readOnly)
    }

    static func iscsi(_ reader: inout SourceReader, notes: inout [MigrationNote]) throws(MigrationInputError) -> MoorTranslation {
        var options = ["type": "iscsi", "portal": portal(try reader.required("targetPortal")), "iqn": try reader.required("iqn"),
                       "lun": try reader.required("lun")]
        let more = try reader.strings("portals").map(portal).filter { $0 != options["portal"] }
        if !more.isEmpty { options["portals"] = more.joined(separator: ",") }
        if let fsType = reader.string("fsType") { options["fsType"] = fsType }
        if let initiator = reader.string("initiatorName") { options["initiatorName"] = initiator }
        if let iface = reader.string("iscsiInterface"), iface != "default" { options["iface"] = iface }
        let readOnly = try reader.bool("readOnly")
        if readOnly { options["readOnly"] = "true" }
        let discoveryCHAP = try reader.bool("chapAuthDiscovery")
        let chap = try reader.bool("chapAuthSession") || discoveryCHAP
        var translation = MoorTranslation(options: options, readOnly: readOnly)
        if let secretRef = reader.take("secretRef") {
            translation.secretRef = secretRef
            let name = secretRef[key: "name"]?.text ?? "?"
            translation.reminders.append(MigrationNote(.attention, reader.subject, field: "\(reader.field).secretRef",
                "moor reads CHAP from Secret keys chapUser and chapSecret (discoveryChapUser and discoveryChapSecret for discovery), and FlexVolume hands over only Secrets of type moor/moor: recreate Secret '\(name)' that way (the in-tree keys were node.session.auth.username/password and discovery.sendtargets.auth.username/password)"))
        } else if chap {
            translation.reminders.append(MigrationNote(.attention, reader.subject, field: reader.field, "CHAP is on but no secretRef names the credentials"))
        }
        return translation
    }

    /// The in-tree portal may omit the port; moor's never does.
    static func portal(_ text: String) -> String {
        if text.hasPrefix("[") { return text.contains("]:") ? text : text + ":3260" }
        return text.contains(":") ? text : text + ":3260"
    }

    static func hostPath(_ reader: inout SourceReader, notes: inout [MigrationNote]) throws(MigrationInputError) -> MoorTranslation? {
        let path = try reader.required("path")
        var options = ["type": "bind", "path": path]
        switch reader.string("type") ?? "" {
        case "", "Directory": break
        case "DirectoryOrCreate": options["createPath"] = "true"
        case let other:
            notes.append(MigrationNote(.notTranslated, reader.subject, field: "\(reader.field).type", "'\(other)': a moor bind volume is a directory"))
            return nil
        }
        var translation = MoorTranslation(options: options)
        translation.reminders.append(MigrationNote(.attention, reader.subject, field: reader.field, policyReminder(path)))
        return translation
    }

    static func local(_ reader: inout SourceReader, notes: inout [MigrationNote]) throws(MigrationInputError) -> MoorTranslation? {
        let path = try reader.required("path")
        if let fsType = reader.string("fsType") {
            notes.append(MigrationNote(.dropped, reader.subject, field: "\(reader.field).fsType", "'\(fsType)' applies to a block device; a moor bind volume is a directory"))
        }
        var translation = MoorTranslation(options: ["type": "bind", "path": path])
        translation.reminders.append(MigrationNote(.attention, reader.subject, field: reader.field, policyReminder(path)))
        return translation
    }

    static func policyReminder(_ path: String) -> String {
        "moor binds host directories only where the node's policy allows: add \(path) (or a pattern over it) to allowedHostPaths in /etc/moor/policy.json on each node"
    }

    /// Other FlexVolume drivers whose options are public.
    static func flexVolume(_ reader: inout SourceReader, notes: inout [MigrationNote]) throws(MigrationInputError) -> MoorTranslation? {
        let driver = try reader.required("driver")
        var translation: MoorTranslation
        switch driver {
        case MoorVolume.driver:
            notes.append(MigrationNote(.attention, reader.subject, field: reader.field, "already a moor volume; left as it is"))
            return nil
        case "k8s/nfs":
            // kubernetes/examples' NFS driver; its protocol, atime and readonly
            // options meant mount options, so they become moor's.
            var options = reader.child("options")
            translation = MoorTranslation(options: ["type": "nfs", "server": try options.required("server"), "share": try options.required("share")])
            var mountOptions: [String] = []
            if let proto = options.string("protocol") { mountOptions.append("proto=\(proto)") }
            if options.string("atime") == "0" { mountOptions.append("noatime") }
            if try options.bool("readonly") { translation.options["readOnly"] = "true" }
            translation.addMountOptions(mountOptions)
            notes += options.leftovers()
        default:
            notes.append(MigrationNote(.notTranslated, reader.subject, field: "\(reader.field).driver", "FlexVolume driver '\(driver)' is not one whose options moor knows (k8s/nfs)"))
            return nil
        }
        if let fsType = reader.string("fsType") {
            // kubelet hands fsType to the driver; it means something only for block volumes.
            if ["disk", "iscsi"].contains(translation.options["type"] ?? "disk") {
                translation.extra.append(("fsType", .string(fsType)))
            } else {
                notes.append(MigrationNote(.dropped, reader.subject, field: "\(reader.field).fsType", "'\(fsType)' has no meaning for a \(translation.options["type"] ?? "") volume"))
            }
        }
        translation.readOnly = try reader.bool("readOnly")
        translation.secretRef = reader.take("secretRef")
        return translation
    }
}

/// Reads the fields of one volume source and remembers which were used, so
/// that every other field is reported rather than lost.
struct SourceReader {
    var node: Node
    var subject: String
    var field: String
    var used: Set<String> = []

    init(node: Node, subject: String, field: String) {
        self.node = node
        self.subject = subject
        self.field = field
    }

    mutating func take(_ key: String) -> Node? {
        used.insert(key)
        return node[key: key]
    }

    mutating func string(_ key: String) -> String? {
        guard let text = take(key)?.text, !text.isEmpty else { return nil }
        return text
    }

    mutating func required(_ key: String) throws(MigrationInputError) -> String {
        guard let value = string(key) else { throw MigrationInputError(subject, field: "\(field).\(key)", "missing") }
        return value
    }

    mutating func bool(_ key: String) throws(MigrationInputError) -> Bool {
        guard let text = string(key) else { return false }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw MigrationInputError(subject, field: "\(field).\(key)", "expected true or false")
        }
    }

    mutating func strings(_ key: String) throws(MigrationInputError) -> [String] {
        guard let value = take(key) else { return [] }
        guard case .sequence(let items) = value else { throw MigrationInputError(subject, field: "\(field).\(key)", "expected a list") }
        return items.compactMap(\.text)
    }

    mutating func child(_ key: String) -> SourceReader {
        SourceReader(node: take(key) ?? .mapping(Node.Mapping([])), subject: subject, field: "\(field).\(key)")
    }

    func leftovers() -> [MigrationNote] {
        node.keys.filter { !used.contains($0) }.map {
            MigrationNote(.dropped, subject, field: "\(field).\($0)", "no moor equivalent")
        }
    }
}
