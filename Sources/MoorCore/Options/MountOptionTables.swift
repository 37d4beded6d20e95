/// The mount options each backend accepts in `mountOptions` (and in what
/// Docker's local-driver `o=` translates into). docs/options.md lists the
/// same tables. An option missing here is refused, which is how `addr=`,
/// `context=`, every `x-`/`X-` option, `helper=`, `bind`, `loop` and
/// ssh's `ProxyCommand` are kept out: not by naming them.
extension OptionAllowList {
    /// The per-mount flags every file system takes (util-linux's generic map).
    public static let generic = OptionAllowList("generic", flags: [
        "ro", "rw", "noatime", "nodiratime", "relatime", "strictatime", "lazytime",
        "nosuid", "nodev", "noexec", "sync", "async", "dirsync", "defaults",
    ])

    static let protocols: ValueRule = .oneOf(["tcp", "tcp6", "udp", "udp6", "rdma"])

    /// mount.nfs (nfs(5)). No option that names an address, a security
    /// context or a file.
    public static let nfs = OptionAllowList("nfs", [
        ("vers", .oneOf(NFSSpec.versions)), ("nfsvers", .oneOf(NFSSpec.versions)), ("minorversion", .oneOf(["0", "1", "2"])),
        ("proto", protocols), ("port", .number), ("mountport", .number), ("mountproto", .oneOf(["tcp", "tcp6", "udp", "udp6"])),
        ("rsize", .number), ("wsize", .number), ("timeo", .number), ("retrans", .number),
        ("hard", .flag), ("soft", .flag), ("softerr", .flag), ("intr", .flag), ("nointr", .flag),
        ("ac", .flag), ("noac", .flag), ("actimeo", .number), ("acregmin", .number), ("acregmax", .number),
        ("acdirmin", .number), ("acdirmax", .number), ("lookupcache", .oneOf(["all", "none", "pos", "positive"])),
        ("lock", .flag), ("nolock", .flag), ("local_lock", .oneOf(["none", "all", "flock", "posix"])),
        ("nconnect", .number), ("sec", .oneOf(["sys", "krb5", "krb5i", "krb5p", "none"])),
        ("resvport", .flag), ("noresvport", .flag), ("cto", .flag), ("nocto", .flag), ("acl", .flag), ("noacl", .flag),
        ("rdirplus", .flag), ("nordirplus", .flag), ("sharecache", .flag), ("nosharecache", .flag),
    ])

    /// ext4(5). No journal or device path, no `errors=panic`, no `dax`, no `noload`.
    public static let ext4 = OptionAllowList("ext4", [
        ("discard", .flag), ("nodiscard", .flag), ("barrier", .optionalNumber), ("nobarrier", .flag), ("commit", .number),
        ("data", .oneOf(["ordered", "journal", "writeback"])), ("errors", .oneOf(["remount-ro", "continue"])),
        ("journal_checksum", .flag), ("nojournal_checksum", .flag), ("journal_async_commit", .flag),
        ("user_xattr", .flag), ("nouser_xattr", .flag), ("acl", .flag), ("noacl", .flag),
        ("delalloc", .flag), ("nodelalloc", .flag), ("stripe", .number), ("inode_readahead_blks", .number),
        ("init_itable", .optionalNumber), ("noinit_itable", .flag), ("auto_da_alloc", .optionalNumber), ("noauto_da_alloc", .flag),
        ("max_batch_time", .number), ("min_batch_time", .number),
        ("usrquota", .flag), ("grpquota", .flag), ("prjquota", .flag), ("quota", .flag), ("noquota", .flag),
    ])

    /// xfs(5). No `logdev` or `rtdev`, and no `norecovery`.
    public static let xfs = OptionAllowList("xfs", [
        ("discard", .flag), ("nodiscard", .flag), ("inode32", .flag), ("inode64", .flag), ("largeio", .flag), ("nolargeio", .flag),
        ("logbufs", .number), ("logbsize", .size), ("allocsize", .size), ("noalign", .flag), ("sunit", .number), ("swidth", .number),
        ("usrquota", .flag), ("grpquota", .flag), ("prjquota", .flag), ("quota", .flag), ("noquota", .flag),
        ("uquota", .flag), ("gquota", .flag), ("pquota", .flag), ("uqnoenforce", .flag), ("gqnoenforce", .flag),
        ("pqnoenforce", .flag), ("wsync", .flag),
    ])

    /// sshfs(1), whose unknown options go to ssh as `-o`: only options that
    /// name no command, file or socket. ssh reads option names in any case;
    /// only the casings listed here pass.
    public static let sshfs = OptionAllowList("sshfs", [
        ("reconnect", .flag), ("delay_connect", .flag),
        ("ServerAliveInterval", .number), ("ServerAliveCountMax", .number), ("ConnectTimeout", .number),
        ("port", .number), ("Port", .number), ("compression", .oneOf(["yes", "no"])), ("Compression", .oneOf(["yes", "no"])),
        ("Ciphers", .token(characters: ValueRule.lowerDigits + "@.-", maxLength: 64)),
        ("cache", .oneOf(["yes", "no"])), ("kernel_cache", .flag), ("auto_cache", .flag), ("cache_timeout", .number),
        ("cache_stat_timeout", .number), ("cache_dir_timeout", .number), ("cache_link_timeout", .number),
        ("dir_cache", .oneOf(["yes", "no"])), ("dcache_timeout", .number), ("max_read", .number), ("max_write", .number),
        ("no_readahead", .flag), ("sync_readdir", .flag), ("sshfs_sync", .flag), ("default_permissions", .flag),
        ("umask", .octal), ("uid", .number), ("gid", .number), ("idmap", .oneOf(["none", "user"])),
        ("follow_symlinks", .flag), ("transform_symlinks", .flag),
        ("workaround", .token(characters: "abcdefghijklmnopqrstuvwxyz:", maxLength: 64)),
        ("StrictHostKeyChecking", .oneOf(["yes", "accept-new"])),
    ])

    /// A bind mounts no file system: only the flags a bind remount sets.
    public static let bind = OptionAllowList("bind", flags: BindSpec.mountOptionNames)

    /// The tables `mountOptions` are checked against for `spec`, or nil
    /// where the node policy decides (FUSE helpers other than sshfs, at
    /// stage time) or the spec checks them itself (bind).
    static func tables(for spec: VolumeSpec) -> (what: String, tables: [OptionAllowList])? {
        switch spec {
        case .nfs: return ("nfs", [generic, nfs])
        case .disk(let disk): return fileSystemTables(disk.fsType)
        case .iscsi(let iscsi): return fileSystemTables(iscsi.fsType)
        case .fuse(let fuse) where fuse.helper == "sshfs": return ("sshfs", [generic, sshfs])
        case .fuse, .bind: return nil
        }
    }

    /// Without an fsType the disk holds ext4 or xfs: an option for either passes.
    static func fileSystemTables(_ fsType: String?) -> (what: String, tables: [OptionAllowList]) {
        switch fsType {
        case "ext4": ("ext4", [generic, ext4])
        case "xfs": ("xfs", [generic, xfs])
        default: ("ext4 or xfs", [generic, ext4, xfs])
        }
    }
}
