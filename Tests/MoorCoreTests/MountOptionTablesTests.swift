import Testing
@testable import MoorCore

/// `mountOptions` are checked against the allow-list of the volume's type
/// (and file system, and helper): anything not listed is refused, named
/// without its value, with what is allowed.
@Suite struct MountOptionTablesTests {
    static let nfs = ["type": "nfs", "server": "10.0.0.5", "share": "/export"]
    static let sshfs = ["type": "fuse", "helper": "sshfs", "source": "alice@files.example:/data"]
    static let iscsi = ["type": "iscsi", "portal": "10.0.0.5:3260", "iqn": "iqn.2026-11.io.example:store1"]

    static func refused(_ base: [String: String], _ mountOptions: String, name: String? = "v1") throws -> OptionError {
        let options = base.merging(["mountOptions": mountOptions]) { $1 }
        let error = try #require(parseError(options, name: name), "\(mountOptions) was accepted")
        #expect(error.key == "mountOptions")
        #expect(error.problem.isMalformed)
        return error
    }

    static func accepted(_ base: [String: String], _ mountOptions: String) throws -> [String] {
        try VolumeDefinition.parse(base.merging(["mountOptions": mountOptions]) { $1 }, name: "v1").common.mountOptions.options
    }

    @Test(arguments: [
        "vers=4.1", "nfsvers=3", "minorversion=2", "proto=tcp", "proto=rdma", "port=2049", "mountport=20048", "mountproto=udp",
        "rsize=1048576,wsize=1048576", "timeo=600,retrans=2", "hard", "soft,softerr", "intr", "nointr", "ac", "noac", "actimeo=30",
        "acregmin=3,acregmax=60,acdirmin=30,acdirmax=60", "lookupcache=positive", "lock", "nolock", "local_lock=flock",
        "nconnect=4", "sec=krb5p", "resvport", "noresvport", "cto", "nocto", "acl", "noacl", "rdirplus", "nordirplus",
        "sharecache", "nosharecache", "ro,noatime,nodiratime,nosuid,nodev,noexec,sync,dirsync,defaults",
    ])
    func nfsAcceptsItsListedOptions(options: String) throws {
        #expect(try Self.accepted(Self.nfs, options) == options.split(separator: ",").map(String.init))
    }

    /// Addresses, security contexts, user-space `x-` options and anything
    /// that changes what or where is mounted: none is listed.
    @Test(arguments: [
        ("addr=10.9.9.9", "'addr'"), ("mountaddr=10.9.9.9", "'mountaddr'"), ("clientaddr=10.9.9.9", "'clientaddr'"),
        ("context=system_u:object_r:x:s0", "'context'"), ("X-mount.subdir=lost+found", "'X-mount.subdir'"),
        ("x-systemd.automount", "'x-systemd.automount'"), ("helper=evil", "'helper'"), ("hard,bind", "'bind', which moor manages itself"),
        ("remount", "'remount'"), ("loop=/dev/loop0", "'loop'"), ("fsc=/x", "'fsc'"),
    ])
    func nfsRefusesWhatIsNotListed(options: String, named: String) throws {
        let error = try Self.refused(Self.nfs, options)
        #expect(error.userMessage.contains("found \(named)"))
        #expect(error.userMessage.contains("mount options allowed for nfs"))
        #expect(error.userMessage.contains("allowed: ro, rw,"))
        #expect(error.userMessage.contains("proto=tcp|tcp6|udp|udp6|rdma"))
    }

    @Test(arguments: ["proto=sctp", "vers=5", "port=http", "hard=1", "sec=lkey", "lookupcache=/x", "rsize=12345678901"])
    func nfsRefusesAListedOptionWithAValueOutsideItsGrammar(options: String) throws {
        let error = try Self.refused(Self.nfs, options)
        #expect(error.userMessage.contains("with a value that is not allowed"))
    }

    @Test func theReportedSubdirAttackOnADiskIsRefused() throws {
        let error = try Self.refused(["size": "16M"], "X-mount.subdir=lost+found")
        #expect(error.userMessage.contains("found 'X-mount.subdir', which moor manages itself"))
        #expect(!error.userMessage.contains("lost+found"))
    }

    @Test(arguments: [
        ("ext4", "commit=30,data=journal,errors=remount-ro,journal_checksum,barrier=1,init_itable=10,noauto_da_alloc,usrquota"),
        ("ext4", "discard,nodelalloc,stripe=16,inode_readahead_blks=32,max_batch_time=100,prjquota"),
        ("xfs", "inode64,largeio,logbufs=8,logbsize=256k,allocsize=64m,sunit=128,swidth=512,uqnoenforce,wsync,discard"),
    ])
    func fileSystemOptionsAreAcceptedForTheirFileSystem(fsType: String, options: String) throws {
        #expect(try Self.accepted(["size": "16M", "fsType": fsType], options).count == options.split(separator: ",").count)
    }

    @Test func withoutAnFsTypeAnOptionOfExt4OrXfsIsAccepted() throws {
        #expect(try Self.accepted(["size": "16M"], "data=ordered") == ["data=ordered"])
        #expect(try Self.accepted(["size": "16M"], "inode64") == ["inode64"])
        #expect(try Self.accepted(Self.iscsi, "commit=5,logbufs=4").count == 2)
    }

    @Test func anOptionOfTheOtherFileSystemIsRefusedOnceFsTypeIsGiven() throws {
        #expect(try Self.refused(["size": "16M", "fsType": "xfs"], "data=ordered").userMessage.contains("allowed for xfs"))
        #expect(try Self.refused(["size": "16M", "fsType": "ext4"], "inode64").userMessage.contains("found 'inode64'"))
    }

    @Test(arguments: [
        ("errors=panic", "'errors' with a value"), ("journal_path=/dev/sda", "'journal_path'"), ("journal_dev=2049", "'journal_dev'"),
        ("logdev=/dev/sdb", "'logdev'"), ("rtdev=/dev/sdb", "'rtdev'"), ("dax", "'dax'"), ("noload", "'noload'"),
        ("norecovery", "'norecovery'"), ("usrjquota=aquota.user", "'usrjquota'"), ("offset=4096", "'offset'"),
    ])
    func diskAndISCSIRefuseDevicePathsAndPanics(options: String, named: String) throws {
        #expect(try Self.refused(["size": "16M"], options).userMessage.contains("found \(named)"))
        #expect(try Self.refused(Self.iscsi, options).userMessage.contains("found \(named)"))
    }

    @Test(arguments: [
        "reconnect,delay_connect,ServerAliveInterval=15,ServerAliveCountMax=3,ConnectTimeout=10", "port=2222", "Port=22",
        "compression=yes", "Compression=no", "Ciphers=aes128-ctr", "Ciphers=chacha20-poly1305@openssh.com",
        "cache=no,kernel_cache,auto_cache,cache_timeout=20,cache_stat_timeout=5,cache_dir_timeout=5,cache_link_timeout=5",
        "dir_cache=yes,dcache_timeout=5,max_read=65536,max_write=65536,no_readahead,sync_readdir,sshfs_sync",
        "default_permissions,umask=022,uid=1000,gid=1000,idmap=user", "follow_symlinks,transform_symlinks",
        "workaround=rename:truncate", "StrictHostKeyChecking=yes", "StrictHostKeyChecking=accept-new", "ro,noatime",
    ])
    func sshfsAcceptsItsShortList(options: String) throws {
        #expect(try Self.accepted(Self.sshfs, options).count == options.split(separator: ",").count)
    }

    /// The reported attacks, and other options that name a command, a file
    /// or a socket, or a casing ssh would read but the list does not hold.
    @Test(arguments: [
        ("ProxyCommand=sh${IFS}-c${IFS}id>/tmp/x", "'ProxyCommand'"), ("ssh_command=touch${IFS}/tmp/x", "'ssh_command'"),
        ("UserKnownHostsFile=/any/file", "'UserKnownHostsFile'"), ("proxycommand=sh", "'proxycommand'"),
        ("PROXYCOMMAND=sh", "'PROXYCOMMAND'"), ("LocalCommand=id", "'LocalCommand'"), ("PermitLocalCommand=yes", "'PermitLocalCommand'"),
        ("ProxyJump=evil", "'ProxyJump'"), ("GlobalKnownHostsFile=/x", "'GlobalKnownHostsFile'"), ("IdentityFile=/root/.ssh/id_rsa", "'IdentityFile'"),
        ("ControlPath=/tmp/s", "'ControlPath'"), ("ControlMaster=yes", "'ControlMaster'"), ("KnownHostsCommand=id", "'KnownHostsCommand'"),
        ("PKCS11Provider=/x.so", "'PKCS11Provider'"), ("sftp_server=/bin/sh", "'sftp_server'"), ("directport=22", "'directport'"),
        ("passive", "'passive'"), ("slave", "'slave'"), ("uidfile=/etc/passwd", "'uidfile'"), ("idmap=file", "'idmap' with a value"),
        ("StrictHostKeyChecking=no", "'StrictHostKeyChecking' with a value"), ("serveraliveinterval=5", "'serveraliveinterval'"),
        ("Ciphers=AES/x", "'Ciphers' with a value"), ("umask=999", "'umask' with a value"), ("reconnect,allow_root", "'allow_root'"),
    ])
    func sshfsRefusesEveryOptionNotOnItsList(options: String, named: String) throws {
        let error = try Self.refused(Self.sshfs, options)
        #expect(error.userMessage.contains("found \(named)"))
        #expect(error.userMessage.contains("allowed for sshfs"))
        #expect(error.userMessage.contains("ServerAliveInterval=N"))
        #expect(!error.userMessage.contains("/tmp/x") && !error.userMessage.contains("${IFS}") && !error.userMessage.contains("/any/file"))
    }

    @Test func aDashedSshOptionIsRefusedByTheSyntaxCheck() throws {
        let error = try Self.refused(Self.sshfs, "-oProxyCommand=id")
        #expect(error.userMessage.contains("'-'"))
    }

    @Test func anOtherHelpersOptionsWaitForThePolicyAtStageTime() throws {
        let options = ["type": "fuse", "helper": "rclone", "source": "remote:bucket", "mountOptions": "vfs-cache-mode=full"]
        #expect(try VolumeDefinition.parse(options).common.mountOptions.options == ["vfs-cache-mode=full"])
    }

    @Test func aRefusedOptionsValueIsNeverEchoed() throws {
        let error = try Self.refused(Self.nfs, "hard,password=hunter2")
        #expect(error.userMessage.contains("found 'password'"))
        #expect(!error.userMessage.contains("hunter2"))
        let badValue = try Self.refused(Self.nfs, "sec=hunter2")
        #expect(badValue.userMessage.contains("found 'sec' with a value that is not allowed"))
        #expect(!badValue.userMessage.contains("hunter2"))
    }
}
