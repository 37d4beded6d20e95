import MoorCore

/// What `docker volume create -d moor -o ...` means in moor's vocabulary:
/// Docker's `local`-driver form translated (`LocalDriverOptions`), and a
/// moor NFS volume given a directory of its own on the share, named after
/// the volume, the way users of Docker NFS plugins expect. A translated
/// local-driver definition names its exact export path and keeps it.
/// Kept apart from the core (which knows no Docker) and from moord's
/// server (which `moor migrate` must not link), so both use this one rule.
public enum DockerVolumeOptions {
    public static func moorOptions(name: String, given: [String: String]) throws -> [String: String] {
        var options = try LocalDriverOptions.translate(given)
        if options["type"] == VolumeType.nfs.rawValue, options["subdir"] == nil, !LocalDriverOptions.isLocalDriverForm(given) {
            options["subdir"] = name
            options["createSubdir"] = "true"
        }
        return options
    }
}
