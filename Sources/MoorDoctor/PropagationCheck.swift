import MoorCore

/// Whether a directory where moor mounts for someone else (kubelet's pod
/// volumes, moord's mount root) sits on a mount with shared propagation,
/// so mounts made there reach a kubelet or dockerd in another mount
/// namespace. Read from the optional fields (`shared:N`) of mountinfo.
struct PropagationCheck {
    let table: MountTable

    /// `whatIsIt` names the directory for the report ("kubelet's root dir").
    func check(_ id: String, _ group: FindingGroup, directory: String, whatIsIt: String, absent: String) -> Finding {
        guard NodeFacts.isDirectory(directory) else {
            return Finding(id, group, .ok, found: "\(absent) (\(directory) does not exist)")
        }
        let resolved = (try? Sys.realpath(directory)) ?? directory
        guard let mount = table.containing(resolved) else {
            return Finding(id, group, .warning, found: "no mount in /proc/self/mountinfo contains \(resolved)",
                           fix: "mount /proc (mount -t proc proc /proc) and run moor doctor again")
        }
        let propagation = mount.optionalFields.isEmpty ? "private" : mount.optionalFields.joined(separator: " ")
        if mount.isShared {
            return Finding(id, group, .ok, found: "\(whatIsIt) \(directory) is on mount \(mount.mountPoint), propagation \(propagation)")
        }
        return Finding(id, group, .problem,
                       found: "\(whatIsIt) \(directory) is on mount \(mount.mountPoint) with \(propagation) propagation: mounts made there do not reach other mount namespaces",
                       fix: "mount --make-rshared \(mount.mountPoint) (systemd makes / shared at boot; check what made it private)")
    }
}
