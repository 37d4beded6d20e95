import MoorCore
import Yams

/// moor flexVolume PersistentVolumes to the Kubernetes CSI drivers for NFS
/// and iSCSI, for clusters leaving FlexVolume.
enum MoorToCSI {
    static let nfsDriver = "nfs.csi.k8s.io"
    static let iscsiDriver = "iscsi.csi.k8s.io"

    /// Paths under `spec` and their new values, or nil (with a note) when
    /// there is no CSI equivalent.
    static func translate(_ spec: Node, pvName: String, subject: String, notes: inout [MigrationNote]) -> [([String], Node?)]? {
        let flex = spec[key: "flexVolume"]!
        var options: [String: String] = [:]
        for (key, value) in flex[key: "options"]?.mapping ?? Node.Mapping([]) {
            if let key = key.string, let value = value.text { options[key] = value }
        }
        let field = "spec.flexVolume.options"
        // moor's own parser reads the definition, as `moor mount` would.
        let definition: VolumeDefinition
        do {
            definition = try VolumeDefinition.parse(options, name: pvName)
        } catch {
            notes.append(MigrationNote(.notTranslated, subject, field: field, "not a valid moor definition: \(error.userMessage)"))
            return nil
        }
        var used: Set<String> = ["type", "mountOptions", "readOnly"]
        let readOnly = flex[key: "readOnly"]?.text == "true" || definition.common.readOnly
        var mountOptions = definition.common.mountOptions.options
        if definition.common.readOnly { mountOptions.append("ro") }
        var csi: [(String, Node)]
        switch definition.spec.type {
        case .nfs:
            used.formUnion(["server", "share", "subdir", "version"])
            guard let server = options["server"], let share = options["share"] else {
                notes.append(MigrationNote(.notTranslated, subject, field: field, "server and share are required"))
                return nil
            }
            let path = options["subdir"].map { share.hasSuffix("/") ? share + $0 : share + "/" + $0 } ?? share
            if let version = options["version"] { mountOptions.insert("nfsvers=\(version)", at: 0) }
            csi = [("driver", .string(nfsDriver)), ("volumeHandle", .string(pvName)),
                   ("volumeAttributes", .map([("server", .string(server)), ("share", .string(path))]))]
        case .iscsi:
            used.formUnion(["portal", "portals", "iqn", "lun", "iface", "initiatorName", "fsType"])
            guard let portal = options["portal"], let iqn = options["iqn"], let lun = options["lun"] else {
                notes.append(MigrationNote(.notTranslated, subject, field: field, "portal, iqn and lun are required"))
                return nil
            }
            let portals = options["portals"].map { $0.split(separator: ",").map { "\"\($0)\"" } } ?? []
            var attributes: [(String, Node)] = [
                ("targetPortal", .string(portal)), ("portals", .string("[" + portals.joined(separator: ",") + "]")),
                ("iqn", .string(iqn)), ("lun", .string(lun)), ("iscsiInterface", .string(options["iface"] ?? "default")),
            ]
            if let initiator = options["initiatorName"] { attributes.append(("initiatorName", .string(initiator))) }
            let chap = flex[key: "secretRef"] != nil
            attributes += [("discoveryCHAPAuth", .string("false")), ("sessionCHAPAuth", .string(chap ? "true" : "false"))]
            csi = [("driver", .string(iscsiDriver)), ("volumeHandle", .string(pvName))]
            if let fsType = options["fsType"] { csi.append(("fsType", .string(fsType))) }
            csi.append(("volumeAttributes", .map(attributes)))
            if let secretRef = flex[key: "secretRef"] {
                csi.append(("nodePublishSecretRef", secretRef))
                notes.append(MigrationNote(.attention, subject, field: "spec.flexVolume.secretRef",
                    "the CSI driver reads CHAP from the in-tree key names (node.session.auth.username, node.session.auth.password); moor's Secret uses chapUser and chapSecret: copy the values over"))
            }
        case .bind:
            used.formUnion(["path", "createPath"])
            guard let path = options["path"] else { return nil }
            if case .bind(let bind) = definition.spec, bind.createPath {
                notes.append(MigrationNote(.dropped, subject, field: "\(field).createPath", "a local PersistentVolume's directory must exist"))
            }
            if spec[key: "nodeAffinity"] == nil {
                notes.append(MigrationNote(.attention, subject, field: "spec.nodeAffinity", "a local PersistentVolume needs nodeAffinity naming the node that holds \(path)"))
            }
            for key in options.keys.sorted() where !used.contains(key) {
                notes.append(MigrationNote(.dropped, subject, field: "\(field).\(key)", "no equivalent"))
            }
            return [(["local"], .map([("path", .string(path))]))]
        case .disk, .fuse:
            let other = definition.spec.type
            notes.append(MigrationNote(.notTranslated, subject, field: "\(field).type", "no CSI driver here takes '\(other)' volumes (only nfs and iscsi)"))
            return nil
        }
        if readOnly { csi.append(("readOnly", Node("true", Tag(.bool)))) }
        for key in options.keys.sorted() where !used.contains(key) {
            notes.append(MigrationNote(.dropped, subject, field: "\(field).\(key)", "no equivalent in \(csi.first!.1.text ?? "CSI")"))
        }
        var changes: [([String], Node?)] = [(["csi"], .map(csi))]
        if !mountOptions.isEmpty { changes.append((["mountOptions"], .sequence(mountOptions.map(Node.string)))) }
        return changes
    }
}
