/// Mount options as mount(2) takes them: the generic ones mount(8) turns
/// into `MS_*` flags, and the rest as the file system's data string. Nil
/// when an option is one mount(8) handles itself in user space (`nofail`,
/// `_netdev`, `x-*`, ...): such a mount goes through mount(8).
struct KernelMountOptions: Equatable {
    var flags: MountFlags = []
    var data: [String] = []

    /// (flag, set?) per option name, as util-linux's generic option map.
    static let generic: [String: (MountFlags, Bool)] = [
        "ro": (.readOnly, true), "rw": (.readOnly, false),
        "nosuid": (.noSetUID, true), "suid": (.noSetUID, false),
        "nodev": (.noDevices, true), "dev": (.noDevices, false),
        "noexec": (.noExec, true), "exec": (.noExec, false),
        "sync": (.synchronous, true), "async": (.synchronous, false),
        "dirsync": (.dirSynchronous, true),
        "mand": (.mandatoryLocks, true), "nomand": (.mandatoryLocks, false),
        "noatime": (.noAccessTime, true), "atime": (.noAccessTime, false),
        "nodiratime": (.noDirAccessTime, true), "diratime": (.noDirAccessTime, false),
        "relatime": (.relativeAccessTime, true), "norelatime": (.relativeAccessTime, false),
        "strictatime": (.strictAccessTime, true), "nostrictatime": (.strictAccessTime, false),
        "lazytime": (.lazyTime, true), "nolazytime": (.lazyTime, false),
        "iversion": (.inodeVersion, true), "noiversion": (.inodeVersion, false),
        "silent": (.silent, true), "loud": (.silent, false),
    ]

    /// Options with no meaning to the kernel, which mount(8) consumes.
    static let userSpaceOnly: Set<String> = [
        "auto", "noauto", "user", "nouser", "users", "owner", "noowner", "group", "nogroup",
        "nofail", "_netdev", "comment", "loop", "encryption", "offset", "sizelimit", "helper", "uhelper",
        // mount(8) turns these into a second mount(2) call or a flag it knows; leave them to it.
        "nosymfollow", "symfollow", "shared", "rshared", "private", "rprivate", "slave", "rslave",
        "unbindable", "runbindable",
    ]

    init?(_ options: MountOptionList) {
        for option in options.options {
            let name = option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option
            if option == "defaults" { continue } // rw,suid,dev,exec,async: the kernel's defaults
            if let (flag, set) = Self.generic[option] {
                if set { flags.insert(flag) } else { flags.remove(flag) }
            } else if Self.userSpaceOnly.contains(name) || name.lowercased().hasPrefix("x-") {
                return nil
            } else {
                data.append(option)
            }
        }
    }
}
