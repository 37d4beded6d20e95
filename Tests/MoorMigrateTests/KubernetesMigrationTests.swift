import Testing
import Yams
@testable import MoorMigrate

@Suite struct KubernetesMigrationTests {
    static func migrate(_ text: String, to target: KubernetesTarget = .moor) throws -> (documents: [Node], notes: [MigrationNote]) {
        let result = try KubernetesMigration(target: target).run(text)
        let parser = try Parser(yaml: result.output)
        var documents: [Node] = []
        while let node = try parser.nextRoot() { documents.append(node) }
        return (documents, result.notes)
    }

    static func fixture() throws -> (documents: [Node], notes: [MigrationNote]) {
        try migrate(try Fixtures.text("in-tree.yaml"))
    }

    static func document(_ name: String, in documents: [Node]) throws -> Node {
        try #require(documents.first { $0.at(["metadata", "name"])?.text == name }, "no document named \(name)")
    }

    static func options(_ node: Node?) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in node?.mapping ?? Node.Mapping([]) { out[key.string!] = value.scalar?.string }
        return out
    }

    @Test func nfsPersistentVolumeKeepsEverythingButItsSource() throws {
        let pv = try Self.document("pv-web-content", in: try Self.fixture().documents)
        #expect(pv.at(["spec", "flexVolume", "driver"])?.text == "moor/moor")
        #expect(Self.options(pv.at(["spec", "flexVolume", "options"])) == [
            "type": "nfs", "server": "127.0.0.1", "share": "/exports/web", "version": "4.1", "mountOptions": "hard,noatime",
        ])
        #expect(pv.at(["spec", "nfs"]) == nil)
        #expect(pv.at(["spec", "mountOptions"]) == nil, "FlexVolume ignores spec.mountOptions; they moved into the options")
        #expect(pv.at(["metadata", "labels", "app"])?.text == "web")
        #expect(pv.at(["metadata", "annotations", "pv.kubernetes.io/bound-by-controller"])?.scalar?.string == "yes")
        #expect(pv.at(["spec", "capacity", "storage"])?.text == "50Gi")
        #expect(pv.at(["spec", "accessModes"]) == .sequence([.string("ReadWriteMany"), .string("ReadOnlyMany")]))
        #expect(pv.at(["spec", "claimRef", "name"])?.text == "web-content")
        #expect(pv.at(["spec", "claimRef", "namespace"])?.text == "shop")
        #expect(pv.at(["spec", "persistentVolumeReclaimPolicy"])?.text == "Retain")
        #expect(pv.at(["spec", "storageClassName"])?.text == "legacy-nfs")
    }

    /// Kubernetes accepts only strings in flexVolume options: `lun: 3` and
    /// `version: 4.1` must come out quoted.
    @Test func optionValuesAreWrittenAsYAMLStrings() throws {
        let result = try KubernetesMigration(target: .moor).run(try Fixtures.text("in-tree.yaml"))
        #expect(result.output.contains("lun: '3'"))
        #expect(result.output.contains("version: '4.1'"))
    }

    @Test func iscsiPersistentVolumeKeepsPortalsCHAPAndReclaimPolicy() throws {
        let (documents, notes) = try Self.fixture()
        let pv = try Self.document("pv-db", in: documents)
        #expect(Self.options(pv.at(["spec", "flexVolume", "options"])) == [
            "type": "iscsi", "portal": "127.0.0.1:3260", "portals": "127.0.0.2:3260", "iqn": "iqn.2026-11.io.example:db",
            "lun": "3", "fsType": "xfs", "initiatorName": "iqn.2026-11.io.example:node1",
        ])
        #expect(pv.at(["spec", "flexVolume", "secretRef", "name"])?.text == "db-chap")
        #expect(pv.at(["spec", "flexVolume", "secretRef", "namespace"])?.text == "shop")
        #expect(pv.at(["spec", "persistentVolumeReclaimPolicy"])?.text == "Delete")
        #expect(notes.contains { $0.subject.contains("pv-db") && $0.kind == .attention && $0.message.contains("chapUser") })
    }

    @Test func localPersistentVolumeBecomesABindVolumeAndKeepsItsNodeAffinity() throws {
        let pv = try Self.document("pv-logs", in: try Self.fixture().documents)
        #expect(Self.options(pv.at(["spec", "flexVolume", "options"])) == ["type": "bind", "path": "/srv/logs"])
        #expect(pv.at(["spec", "nodeAffinity", "required", "nodeSelectorTerms"]) != nil)
        #expect(pv.at(["spec", "local"]) == nil)
    }

    @Test func podVolumesAreRewrittenAndOthersLeftAlone() throws {
        let pod = try Self.document("legacy-app", in: try Self.fixture().documents)
        guard case .sequence(let volumes)? = pod.at(["spec", "volumes"]) else { Issue.record("no volumes"); return }
        #expect(volumes.count == 3)
        #expect(volumes[0].at(["flexVolume", "readOnly"])?.text == "true")
        #expect(Self.options(volumes[0].at(["flexVolume", "options"]))["share"] == "/exports/shared")
        #expect(volumes[1].at(["emptyDir"]) != nil)
        #expect(Self.options(volumes[2].at(["flexVolume", "options"])) == ["type": "bind", "path": "/srv/app-data", "createPath": "true"])
        #expect(pod.at(["spec", "containers"]) != nil)
    }

    @Test func unsupportedSourcesAndFieldsAreReportedNotDropped() throws {
        let (documents, notes) = try Self.fixture()
        let gluster = try Self.document("pv-gluster", in: documents)
        #expect(gluster.at(["spec", "glusterfs", "endpoints"])?.text == "glusterfs-cluster", "left as it was")
        #expect(notes.contains { $0.kind == .notTranslated && $0.field == "spec.glusterfs" })
        #expect(notes.contains { $0.kind == .dropped && $0.field == "spec.flexVolume.options.retries" })
        #expect(notes.contains { $0.kind == .dropped && $0.field == "spec.flexVolume.fsType" })
        let flex = try Self.document("pv-flex-nfs", in: documents)
        #expect(Self.options(flex.at(["spec", "flexVolume", "options"])) == ["type": "nfs", "server": "127.0.0.1", "share": "/exports/flex", "mountOptions": "proto=tcp"])
    }

    /// In-tree → moor → CSI: names, capacity, access modes, claimRef,
    /// reclaim policy, labels and mount options all arrive.
    @Test func roundTripToCSIKeepsEverySupportedField() throws {
        let moor = try KubernetesMigration(target: .moor).run(try Fixtures.text("in-tree.yaml")).output
        let (documents, notes) = try Self.migrate(moor, to: .csi)
        let web = try Self.document("pv-web-content", in: documents)
        #expect(web.at(["spec", "csi", "driver"])?.text == "nfs.csi.k8s.io")
        #expect(web.at(["spec", "csi", "volumeHandle"])?.text == "pv-web-content")
        #expect(Self.options(web.at(["spec", "csi", "volumeAttributes"])) == ["server": "127.0.0.1", "share": "/exports/web"])
        #expect(web.at(["spec", "mountOptions"]) == .sequence([.string("nfsvers=4.1"), .string("hard"), .string("noatime")]))
        #expect(web.at(["spec", "flexVolume"]) == nil)
        #expect(web.at(["spec", "claimRef", "name"])?.text == "web-content")
        #expect(web.at(["spec", "capacity", "storage"])?.text == "50Gi")
        #expect(web.at(["metadata", "labels", "tier"])?.text == "frontend")
        let db = try Self.document("pv-db", in: documents)
        #expect(db.at(["spec", "csi", "driver"])?.text == "iscsi.csi.k8s.io")
        #expect(Self.options(db.at(["spec", "csi", "volumeAttributes"])) == [
            "targetPortal": "127.0.0.1:3260", "portals": "[\"127.0.0.2:3260\"]", "iqn": "iqn.2026-11.io.example:db", "lun": "3",
            "iscsiInterface": "default", "initiatorName": "iqn.2026-11.io.example:node1", "discoveryCHAPAuth": "false", "sessionCHAPAuth": "true",
        ])
        #expect(db.at(["spec", "csi", "fsType"])?.text == "xfs")
        #expect(db.at(["spec", "csi", "nodePublishSecretRef", "name"])?.text == "db-chap")
        #expect(db.at(["spec", "persistentVolumeReclaimPolicy"])?.text == "Delete")
        let logs = try Self.document("pv-logs", in: documents)
        #expect(logs.at(["spec", "local", "path"])?.text == "/srv/logs")
        #expect(notes.contains { $0.subject.contains("legacy-app") && $0.kind == .notTranslated })
    }

    @Test func jsonInputIsReadToo() throws {
        let json = #"{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "j"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany"], "nfs": {"server": "127.0.0.1", "path": "/e"}}}"#
        let pv = try #require(try Self.migrate(json).documents.first)
        #expect(Self.options(pv.at(["spec", "flexVolume", "options"])) == ["type": "nfs", "server": "127.0.0.1", "share": "/e"])
    }

    static let pv = "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: ok}\nspec: {nfs: {server: 127.0.0.1, path: /e}}\n"

    @Test(arguments: [
        (pv + "---\nkind: PersistentVolume\nspec: [unclosed\n", "document 2: not valid YAML"),
        (pv + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n", "document 2 (Service 'web'), field kind"),
        (pv + "---\n- just\n- a list\n", "document 2: expected a Kubernetes object"),
        (pv + "---\napiVersion: v1\nmetadata: {name: x}\n", "document 2, field kind: missing"),
        ("kind: PersistentVolume\nmetadata: {name: both}\nspec: {nfs: {server: a, path: /b}, hostPath: {path: /c}}\n",
         "document 1 (PersistentVolume 'both'), field spec: more than one volume source: nfs and hostPath"),
        ("kind: PersistentVolume\nmetadata: {name: half}\nspec: {nfs: {path: /b}}\n", "document 1 (PersistentVolume 'half'), field spec.nfs.server: missing"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {volumes: {a: b}}\n", "document 1 (Pod 'p'), field spec.volumes"),
        ("kind: PersistentVolume\nmetadata: {name: ro}\nspec: {nfs: {server: a, path: /b, readOnly: maybe}}\n", "field spec.nfs.readOnly: expected true or false"),
        ("", "no documents"),
    ])
    func badInputIsAnErrorNamingTheDocumentAndField(input: String, expected: String) {
        #expect {
            try KubernetesMigration(target: .moor).run(input)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func toCSILeavesOtherVolumesAsTheyAreAndSaysSo() throws {
        let (documents, notes) = try Self.migrate(Self.pv, to: .csi)
        #expect(documents.first?.at(["spec", "nfs", "server"])?.text == "127.0.0.1")
        #expect(notes.contains { $0.kind == .attention && $0.message.contains("not a moor volume") })
    }
}
