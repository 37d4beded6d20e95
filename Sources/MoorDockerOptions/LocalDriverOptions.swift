import MoorCore

/// Docker's built-in `local` driver options (`type`, `device`, `o`),
/// translated into moor's vocabulary, so an existing definition such as
///
///     docker volume create -o type=nfs -o o=addr=10.0.0.5,nfsvers=4.1 -o device=:/export data
///
/// moves to `-d moor` unchanged. Options already in moor's vocabulary pass through.
public enum LocalDriverOptions {
    /// File systems the local driver mounts from a block device.
    static let blockFileSystems: Set<String> = ["ext4", "xfs"]

    public static func isLocalDriverForm(_ options: [String: String]) -> Bool {
        guard options["o"] != nil || options["device"] != nil else { return false }
        let type = options["type"] ?? ""
        return options["o"] != nil || ["nfs", "nfs4", "none", "tmpfs", "cifs", "btrfs"].contains(type)
            || blockFileSystems.contains(type)
    }

    public static func translate(_ options: [String: String]) throws -> [String: String] {
        guard isLocalDriverForm(options) else { return options }
        let type = options["type"] ?? ""
        let o = options["o"] ?? ""
        let device = options["device"] ?? ""
        var rest = options
        for key in ["type", "o", "device"] { rest.removeValue(forKey: key) }
        let elements = o.split(separator: ",").map(String.init)
        switch type {
        case "nfs", "nfs4":
            var result = rest
            result["type"] = "nfs"
            var mountOptions: [String] = []
            for element in elements {
                let pair = element.split(separator: "=", maxSplits: 1).map(String.init)
                switch pair[0] {
                case "addr": result["server"] = pair.count > 1 ? pair[1] : ""
                case "nfsvers", "vers": result["version"] = pair.count > 1 ? pair[1] : ""
                default: mountOptions.append(element)
                }
            }
            if type == "nfs4" && result["version"] == nil { result["version"] = "4" }
            guard let colon = device.firstIndex(of: ":") else {
                throw OptionError(scope: "local driver", key: "device", problem: .malformed(expected: "[host]:/export for type=nfs"))
            }
            let host = String(device[..<colon])
            if result["server"] == nil, !host.isEmpty { result["server"] = host }
            result["share"] = String(device[device.index(after: colon)...])
            if !mountOptions.isEmpty { result["mountOptions"] = mountOptions.joined(separator: ",") }
            return result
        case _ where blockFileSystems.contains(type):
            var result = rest
            result["type"] = "disk"
            result["device"] = device
            result["fsType"] = type
            // `ro` means a read-only volume to moor, which then never formats or fscks it.
            if elements.contains("ro") { result["readOnly"] = "true" }
            let others = elements.filter { $0 != "ro" && $0 != "rw" }
            if !others.isEmpty { result["mountOptions"] = others.joined(separator: ",") }
            return result
        case "none" where elements.contains("bind") || elements.contains("rbind"):
            // A host directory. moor binds the directory alone: the mounts
            // below it (what `rbind` would add) are not part of the volume.
            if elements.contains("rbind") {
                throw OptionError(scope: "local driver", key: "o", problem: .malformed(
                    expected: "bind, not rbind: moor binds the host directory without the mounts below it"))
            }
            let flags = elements.filter { $0 != "bind" && $0 != "rw" }
            if let bad = flags.first(where: { !BindSpec.mountOptionNames.contains($0) }) {
                throw OptionError(scope: "local driver", key: "o", problem: .malformed(
                    expected: "bind with only rw, \(BindSpec.mountOptionNames.joined(separator: ", ")) (found '\(BindSpec.name(of: bad))')"))
            }
            guard !device.isEmpty else { throw OptionError(scope: "local driver", key: "device", problem: .missing) }
            var result = rest
            result["type"] = "bind"
            result["path"] = device
            if flags.contains("ro") { result["readOnly"] = "true" }
            let others = flags.filter { $0 != "ro" }
            if !others.isEmpty { result["mountOptions"] = others.joined(separator: ",") }
            return result
        default:
            throw OptionError(scope: "local driver", key: "type",
                              problem: .malformed(expected: "nfs, nfs4, ext4, xfs, or none with o=bind (moor translates those local-driver definitions; tmpfs and cifs stay with Docker's local driver)"))
        }
    }
}
