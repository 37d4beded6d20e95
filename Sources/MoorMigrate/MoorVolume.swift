import MoorCore
import Yams

/// One volume in moor's vocabulary: what both front doors accept. Secret
/// option values (`sshPassword`, `chapSecret`, ...) are kept apart so that
/// Kubernetes output can put them in a Secret rather than in the PV.
public struct MoorVolume: Sendable, Equatable {
    public var name: String
    public var options: [String: String]
    public var secrets: [String: String] = [:]
    public var labels: [String: String] = [:]
    /// What `docker volume create` gets, when it must differ from `options`
    /// (see `DockerMigration.dockerForm`).
    public var dockerOptions: [String: String]?
    /// Kubernetes `capacity.storage`, if the source knew a size.
    public var capacity: String?

    public static let driver = "moor/moor"
    /// Option keys whose values are credentials.
    static let secretKeys: Set<String> = ["sshKey", "sshPassword", "chapUser", "chapSecret", "discoveryChapUser", "discoveryChapSecret"]

    public init(name: String, options: [String: String]) {
        self.name = name
        self.options = options.filter { !Self.secretKeys.contains($0.key) }
        self.secrets = options.filter { Self.secretKeys.contains($0.key) }
    }

    public var type: String { options["type"] ?? "disk" }

    /// Shared by many nodes at once (ReadWriteMany) or one node's alone.
    public var isShared: Bool { type == "nfs" || type == "fuse" }

    /// The same parser `moor` and `moord` use: whatever passes here mounts
    /// with the same meaning through both.
    public func validate() throws(OptionError) {
        _ = try VolumeDefinition.parse(options.merging(secrets) { a, _ in a }, name: name)
    }

    /// `docker volume create -d moor ...`, one shell line.
    public func dockerCommand(driverName: String = "moor") -> String {
        var words = ["docker", "volume", "create", "-d", driverName]
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { words += ["--label", "\(key)=\(value)"] }
        for (key, value) in Self.ordered(dockerOptions ?? options.merging(secrets, uniquingKeysWith: { a, _ in a })) {
            words += ["-o", "\(key)=\(value)"]
        }
        words.append(name)
        return words.map(ShellQuote.word).joined(separator: " ")
    }

    /// `type` first, then by key: how people read a definition.
    static func ordered(_ options: [String: String]) -> [(key: String, value: String)] {
        options.sorted { ($0.key == "type" ? 0 : 1, $0.key) < ($1.key == "type" ? 0 : 1, $1.key) }
    }

    /// A PersistentVolume with a moor flexVolume, plus the Secret it needs
    /// (FlexVolume hands a Secret to the driver only when its type is the
    /// driver's name).
    public func kubernetesDocuments(namespace: String, defaultCapacity: String) -> [Node] {
        let pvName = KubernetesName.subdomain(name)
        var metadata: [(String, Node)] = [("name", .string(pvName))]
        let (labelPairs, annotationPairs) = KubernetesName.splitLabels(labels)
        if !labelPairs.isEmpty { metadata.append(("labels", .stringMap(labelPairs))) }
        if !annotationPairs.isEmpty { metadata.append(("annotations", .stringMap(annotationPairs))) }
        var flex: [(String, Node)] = [("driver", .string(Self.driver)), ("options", .map(Self.ordered(options).map { ($0.key, .string($0.value)) }))]
        let secretName = pvName + "-moor"
        if !secrets.isEmpty {
            flex.append(("secretRef", .map([("name", .string(secretName)), ("namespace", .string(namespace))])))
        }
        let pv = Node.map([
            ("apiVersion", .string("v1")),
            ("kind", .string("PersistentVolume")),
            ("metadata", .map(metadata)),
            ("spec", .map([
                ("capacity", .map([("storage", .string(capacity ?? defaultCapacity))])),
                ("accessModes", .sequence([.string(isShared ? "ReadWriteMany" : "ReadWriteOnce")])),
                ("persistentVolumeReclaimPolicy", .string("Retain")),
                ("flexVolume", .map(flex)),
            ])),
        ])
        guard !secrets.isEmpty else { return [pv] }
        let secret = Node.map([
            ("apiVersion", .string("v1")),
            ("kind", .string("Secret")),
            ("metadata", .map([("name", .string(secretName)), ("namespace", .string(namespace))])),
            ("type", .string(Self.driver)),
            ("stringData", .stringMap(secrets)),
        ])
        return [secret, pv]
    }
}
