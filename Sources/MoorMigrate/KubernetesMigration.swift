import Yams

public enum KubernetesTarget: String, Sendable, CaseIterable {
    /// In-tree and other flexVolume sources to moor flexVolumes.
    case moor
    /// moor flexVolume PersistentVolumes to CSI (leaving FlexVolume).
    case csi
}

/// `moor migrate kubernetes`: rewrites the volume sources of
/// PersistentVolumes and pod specs. Everything else in each document is
/// written back untouched.
public struct KubernetesMigration: Sendable {
    public var target: KubernetesTarget

    public init(target: KubernetesTarget) { self.target = target }

    /// Where each kind keeps its pod volumes.
    static let podVolumePaths: [String: [String]] = [
        "Pod": ["spec", "volumes"],
        "Deployment": ["spec", "template", "spec", "volumes"],
        "StatefulSet": ["spec", "template", "spec", "volumes"],
        "DaemonSet": ["spec", "template", "spec", "volumes"],
        "ReplicaSet": ["spec", "template", "spec", "volumes"],
        "ReplicationController": ["spec", "template", "spec", "volumes"],
        "Job": ["spec", "template", "spec", "volumes"],
        "CronJob": ["spec", "jobTemplate", "spec", "template", "spec", "volumes"],
    ]
    /// Kinds that hold no volume source: passed through as they are.
    static let passThroughKinds: Set<String> = ["PersistentVolumeClaim"]

    public func run(_ text: String) throws(MigrationInputError) -> MigrationResult {
        var notes: [MigrationNote] = []
        var output: [Node] = []
        for document in try KubernetesDocuments.parse(text) {
            output.append(try migrate(document, notes: &notes))
        }
        do {
            return MigrationResult(output: try YAMLText.documents(output), notes: notes)
        } catch {
            throw MigrationInputError("output", "could not be written as YAML: \(error)")
        }
    }

    func migrate(_ document: KubernetesDocuments.Document, notes: inout [MigrationNote]) throws(MigrationInputError) -> Node {
        var node = document.node
        switch document.kind {
        case "PersistentVolume":
            try migratePersistentVolume(&node, document.subject, notes: &notes)
        case "List":
            guard case .sequence(let items)? = node[key: "items"] else {
                throw MigrationInputError(document.subject, field: "items", "expected a list of objects")
            }
            var migrated: [Node] = []
            for (offset, item) in items.enumerated() {
                guard let kind = item[key: "kind"]?.text else {
                    throw MigrationInputError("\(document.subject), item \(offset + 1)", field: "kind", "missing")
                }
                let inner = KubernetesDocuments.Document(index: document.index, node: item, kind: kind,
                                                         name: item.at(["metadata", "name"])?.text ?? "")
                var sub = try migrate(inner, notes: &notes)
                sub = sub.mapping != nil ? sub : item
                migrated.append(sub)
            }
            node[key: "items"] = .sequence(migrated)
        case _ where Self.podVolumePaths[document.kind] != nil:
            try migratePodVolumes(&node, at: Self.podVolumePaths[document.kind]!, document.subject, notes: &notes)
        case _ where Self.passThroughKinds.contains(document.kind):
            break
        default:
            throw MigrationInputError(document.subject, field: "kind",
                "'\(document.kind)' is not a kind moor migrate reads (PersistentVolume, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PersistentVolumeClaim, List)")
        }
        return node
    }

    // MARK: PersistentVolumes

    func migratePersistentVolume(_ pv: inout Node, _ subject: String, notes: inout [MigrationNote]) throws(MigrationInputError) {
        guard let spec = pv[key: "spec"], spec.mapping != nil else {
            throw MigrationInputError(subject, field: "spec", "missing: a PersistentVolume needs a spec with a volume source")
        }
        let sources = spec.keys.filter { VolumeSources.persistentVolume.contains($0) }
        guard sources.count == 1, let key = sources.first else {
            throw MigrationInputError(subject, field: "spec",
                sources.isEmpty ? "no volume source (such as nfs, iscsi, hostPath, local or flexVolume)" : "more than one volume source: \(sources.joined(separator: " and "))")
        }
        let field = "spec.\(key)"
        switch target {
        case .moor:
            guard case .translated(var translation) = try InTreeToMoor.translate(key, spec[key: key]!, subject: subject, field: field, notes: &notes) else { return }
            if spec[key: "volumeMode"]?.text == "Block" {
                notes.append(MigrationNote(.notTranslated, subject, field: "spec.volumeMode", "a raw block volume; moor volumes are file systems"))
                return
            }
            if case .sequence(let options)? = spec[key: "mountOptions"] {
                // FlexVolume ignores spec.mountOptions (SupportsMountOption is false): they move into the options.
                translation.addMountOptions(options.compactMap(\.text))
                pv.set(["spec", "mountOptions"], nil)
            }
            guard translation.validate(name: pv.at(["metadata", "name"])?.text ?? "", subject: subject, field: field, notes: &notes) else { return }
            pv.set(["spec", key], nil)
            pv.set(["spec", "flexVolume"], translation.flexVolume(persistent: true))
        case .csi:
            guard key == "flexVolume", spec.at(["flexVolume", "driver"])?.text == MoorVolume.driver else {
                notes.append(MigrationNote(.attention, subject, field: field, "not a moor volume; left as it is"))
                return
            }
            guard let csi = MoorToCSI.translate(spec, pvName: pv.at(["metadata", "name"])?.text ?? "", subject: subject, notes: &notes) else { return }
            pv.set(["spec", "flexVolume"], nil)
            for (path, value) in csi { pv.set(["spec"] + path, value) }
        }
    }

    // MARK: Pod volumes

    func migratePodVolumes(_ object: inout Node, at path: [String], _ subject: String, notes: inout [MigrationNote]) throws(MigrationInputError) {
        guard let volumes = object.at(path) else { return }
        guard case .sequence(let list) = volumes else {
            throw MigrationInputError(subject, field: path.joined(separator: "."), "expected a list of volumes")
        }
        var rewritten: [Node] = []
        for (index, volume) in list.enumerated() {
            let name = volume[key: "name"]?.text ?? "#\(index + 1)"
            let sources = volume.keys.filter { VolumeSources.pod.contains($0) }
            guard sources.count <= 1 else {
                throw MigrationInputError(subject, field: "\(path.joined(separator: "."))[\(name)]", "more than one volume source: \(sources.joined(separator: " and "))")
            }
            guard let key = sources.first, VolumeSources.translatable.contains(key) else { rewritten.append(volume); continue }
            let field = "\(path.joined(separator: ".")).\(name).\(key)"
            var out = volume
            switch target {
            case .moor:
                if case .translated(let translation) = try InTreeToMoor.translate(key, volume[key: key]!, subject: subject, field: field, notes: &notes),
                   translation.validate(name: name, subject: subject, field: field, notes: &notes) {
                    out[key: key] = nil
                    out[key: "flexVolume"] = translation.flexVolume(persistent: false)
                }
            case .csi:
                if key == "flexVolume", volume.at(["flexVolume", "driver"])?.text == MoorVolume.driver {
                    notes.append(MigrationNote(.notTranslated, subject, field: field,
                        "nfs.csi.k8s.io and iscsi.csi.k8s.io take no inline pod volumes: make it a PersistentVolume and claim it"))
                }
            }
            rewritten.append(out)
        }
        object.set(path, .sequence(rewritten))
    }
}

/// The volume source field names of the Kubernetes API.
enum VolumeSources {
    static let persistentVolume: Set<String> = [
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker",
        "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk",
        "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume",
    ]
    /// Pod volumes add the ones that live and die with the pod.
    static let pod: Set<String> = persistentVolume.subtracting(["local"]).union([
        "configMap", "secret", "emptyDir", "downwardAPI", "projected", "persistentVolumeClaim", "ephemeral",
        "gitRepo", "image",
    ])
    /// Pod volume sources this tool rewrites (or reports); others are not storage it could move.
    static let translatable: Set<String> = persistentVolume.subtracting(["csi"])
}
