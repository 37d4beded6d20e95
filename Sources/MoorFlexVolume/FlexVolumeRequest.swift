import FoundationEssentials
import MoorCore

/// The JSON argument of `mount`, split into what kubelet adds and what the
/// user wrote under `flexVolume.options`.
public struct FlexVolumeRequest: Sendable {
    /// The user's options (the one vocabulary), kubelet keys removed.
    public var options: [String: String] = [:]
    /// `kubernetes.io/secret/<key>`, base64-decoded, by key.
    public var secrets: [String: Secret] = [:]
    /// `kubernetes.io/readwrite` is `ro`.
    public var readOnly = false
    /// `kubernetes.io/fsType`, if not empty.
    public var fsType: String?
    /// `kubernetes.io/pvOrVolumeName`: the PV name (or, inline, the pod's volume name).
    public var volumeName: String?
    public var fsGroup: UInt32?
    public var podNamespace: String?
    public var podName: String?

    /// Decodes Go's `json.Marshal(map[string]string)`.
    public init(json: String) throws {
        let map: [String: String]
        do {
            map = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw MoorError(.invalidOption, "the options argument is not a JSON object of strings")
        }
        for (key, value) in map {
            switch key {
            case KubeletKey.fsType: fsType = value.isEmpty ? nil : value
            case KubeletKey.readWrite:
                guard value == "ro" || value == "rw" || value.isEmpty else {
                    throw MoorError(.invalidOption, "\(KubeletKey.readWrite) must be ro or rw")
                }
                readOnly = value == "ro"
            case KubeletKey.volumeName: volumeName = value.isEmpty ? nil : value
            case KubeletKey.fsGroup, KubeletKey.fsGroupLegacy:
                guard let gid = UInt32(value) else {
                    throw MoorError(.invalidOption, "\(key) must be a group id")
                }
                // The current key wins over the pre-1.15 one, whatever the order.
                if key == KubeletKey.fsGroup || fsGroup == nil { fsGroup = gid }
            case KubeletKey.podName: podName = value
            case KubeletKey.podNamespace: podNamespace = value
            case _ where key.hasPrefix(KubeletKey.secretPrefix):
                let name = String(key.dropFirst(KubeletKey.secretPrefix.count))
                guard let bytes = Data(base64Encoded: value) else {
                    throw MoorError(.invalidOption, "secret key '\(OptionError.printable(name))' is not valid base64")
                }
                // `echo secret | base64` leaves a newline that is never meant.
                var scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
                while let last = scalars.last, last == "\n" || last == "\r" { scalars.removeLast() }
                secrets[name] = Secret(String(scalars))
            case _ where key.contains("kubernetes.io/") || key.contains("k8s.io/"):
                // Other kubelet keys (pod.uid, serviceAccount.name, and any a
                // newer kubelet adds) carry nothing moor needs.
                continue
            default:
                options[key] = value
            }
        }
    }

    /// The volume definition, with kubelet's fsType applied where the user
    /// options set none, and the PV name identifying sparse-file disks.
    public func definition() throws -> VolumeDefinition {
        var merged = options
        if let fsType {
            let type = VolumeType(options: options)
            if let own = options["fsType"], !own.isEmpty, own != fsType {
                throw OptionError(scope: type?.rawValue ?? "volume", key: "fsType",
                                  problem: .conflict("options say \(own) but the volume's fsType is \(fsType)"))
            }
            if type?.takesFileSystemType == true { merged["fsType"] = fsType }
        }
        var definition = try VolumeDefinition.parse(merged, secrets: secrets, name: volumeName)
        definition.owner = Self.owner(namespace: podNamespace)
        return definition
    }

    /// The owner of a pod's volumes: its namespace. A node-local disk made
    /// for one namespace is refused to pods of another (unless the node's
    /// policy shares it, `sharedDisks`).
    public static func owner(namespace: String?) -> String {
        "kubernetes/" + (namespace ?? "")
    }
}
