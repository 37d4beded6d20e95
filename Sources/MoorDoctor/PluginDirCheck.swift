#if canImport(Glibc)
import Glibc
#endif
import MoorCore

/// Whether kubelet can run moor: which FlexVolume plugin dir is in use, and
/// whether `moor~moor/moor` there is an executable copy of this very build
/// (install/install-flexvolume.sh puts it there).
struct PluginDirCheck {
    static let kubeletDefault = "/usr/libexec/kubernetes/kubelet-plugins/volume/exec"
    static let driverPath = "moor~moor/moor"

    /// `--plugin-dir`, if given: then only that one counts.
    var explicit: String?
    /// kubelet's root dir; `<root>/volumeplugins` is the other common plugin dir.
    var kubeletDir: String
    /// The binary that runs now, compared with the installed one.
    var ownExecutable: String?
    let table: MountTable

    var candidates: [String] { explicit.map { [$0] } ?? [Self.kubeletDefault, kubeletDir + "/volumeplugins"] }

    /// The plugin dir kubelet most likely uses: the explicit one; else the
    /// first candidate holding moor, else the first that exists, else the default.
    var pluginDir: String {
        candidates.first { NodeFacts.exists($0 + "/" + Self.driverPath) }
            ?? candidates.first(where: NodeFacts.isDirectory) ?? candidates[0]
    }

    func installFix(_ dir: String) -> String {
        "install/install-flexvolume.sh \(ownExecutable ?? "/path/to/moor") \(dir)"
    }

    func finding() -> Finding {
        let id = "kubernetes.driver", dir = pluginDir, driver = dir + "/" + Self.driverPath
        let isKubeletNode = NodeFacts.isDirectory(kubeletDir)
        guard let info = try? Sys.stat(driver) else {
            let why = explicit != nil ? "(--plugin-dir)" : NodeFacts.isDirectory(dir) ? "(exists)" : "(the kubelet default; it does not exist)"
            // Where kubelet runs (or the admin named the dir) a missing
            // driver fails every moor/moor volume; elsewhere it is a note.
            let status: FindingStatus = explicit != nil || isKubeletNode ? .problem : .warning
            let node = isKubeletNode || explicit != nil ? "" : "; not a kubelet node (\(kubeletDir) does not exist)"
            return Finding(id, .kubernetes, status, found: "moor is not installed in plugin dir \(dir) \(why): no \(driver)\(node)",
                           fix: installFix(dir))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return Finding(id, .kubernetes, .problem, found: "\(driver) is not a regular file", fix: installFix(dir))
        }
        guard access(driver, X_OK) == 0, info.st_mode & 0o111 != 0 else {
            return Finding(id, .kubernetes, .problem, found: "\(driver) is not executable", fix: "chmod 0755 \(driver)")
        }
        if let mount = table.containing((try? Sys.realpath(driver)) ?? driver), mount.options.contains("noexec") {
            return Finding(id, .kubernetes, .problem, found: "\(driver) is on \(mount.mountPoint), which is mounted noexec",
                           fix: "mount -o remount,exec \(mount.mountPoint), or install into a plugin dir on an exec mount (kubelet --volume-plugin-dir)")
        }
        guard let own = ownExecutable else {
            return Finding(id, .kubernetes, .ok, found: "moor is installed at \(driver) (could not read this binary to compare)")
        }
        if (try? Sys.realpath(driver)) == own || FileComparison.sameContent(driver, own) {
            return Finding(id, .kubernetes, .ok, found: "moor is installed at \(driver), the same build as this moor (\(own))")
        }
        return Finding(id, .kubernetes, .warning,
                       found: "moor is installed at \(driver), but it is a different build from this moor (\(own), \(FileComparison.sizeNote(driver, own)))",
                       fix: installFix(dir))
    }
}
