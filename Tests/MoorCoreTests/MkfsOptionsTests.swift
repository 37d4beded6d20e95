import Testing
@testable import MoorCore

/// `mkfsOptions` pass only the sizing and feature flags on the table of the
/// file system being made; flags that take a path or read a file are refused.
@Suite struct MkfsOptionsTests {
    static func parse(_ text: String, fsType: String? = nil) throws -> [String] {
        var options = ["mkfsOptions": text]
        if let fsType { options["fsType"] = fsType }
        return try #require(try VolumeDefinition.parse(options, name: "v1").disk).mkfsOptions
    }

    static func refused(_ text: String, fsType: String? = nil, base: [String: String] = [:]) throws -> OptionError {
        var options = base.merging(["mkfsOptions": text]) { $1 }
        if let fsType { options["fsType"] = fsType }
        let error = try #require(parseError(options, name: "v1"), "\(text) was accepted")
        #expect(error.key == "mkfsOptions")
        #expect(error.problem.isMalformed)
        return error
    }

    @Test(arguments: [
        "-b 4096 -C 65536 -i 16384 -I 256 -m 0.5 -N 1000 -g 32768 -G 16", "-j -J size=64", "-L data_1.v-2",
        "-O ^has_journal,metadata_csum,64bit", "-E lazy_itable_init=0,lazy_journal_init=1,stride=16,stripe_width=64",
        "-E stripe-width=64,nodiscard,packed_meta_blocks=1,root_owner=1000:1000,num_backup_sb=2,resize=1000000", "-E discard",
        "-T largefile4", "-q", "-U 0b5e1a1e-2c6f-4d1a-9e3b-8a7d6c5b4a39",
    ])
    func ext4SizingAndFeatureFlagsAreAccepted(text: String) throws {
        #expect(try Self.parse(text) == text.split(separator: " ").map(String.init))
        #expect(try Self.parse(text, fsType: "ext4") == text.split(separator: " ").map(String.init))
    }

    /// `-d etc` (kubelet runs moor in `/`) copied the node's /etc into the
    /// volume; the other flags name files, devices, undo files or are moor's.
    @Test(arguments: [
        ("-d etc", "'-d'"), ("-E root_owner=0:0 -d /", "'-d'"), ("-d /srv", "'-d'"), ("-c", "'-c'"), ("-l badblocks.txt", "'-l'"),
        ("-D", "'-D'"), ("-F", "'-F'"), ("-S", "'-S'"), ("-n", "'-n'"), ("-V", "'-V'"), ("-z /tmp/undo", "'-z'"),
        ("-M /mnt", "'-M'"), ("-J device=/dev/sdb", "'-J' option 'device'"), ("-J location=0,size=64", "'-J' option 'location'"),
        ("-E offset=4096", "'-E' option 'offset'"), ("-E lazy_itable_init=0,encoding_flags=strict", "'-E' option 'encoding_flags'"),
        ("-E root_owner=0", "'-E' option 'root_owner' with a value"), ("-b4096", "'-b4096'"), ("-L ../etc", "'-L' with a value"),
        ("-L -d", "'-L' with a value"), ("-O has_journal/x", "'-O' with a value"), ("-b", "'-b' with a value"),
        ("-E", "'-E' without its options"), ("-E stride=1,,resize=2", "'-E' with an empty option"),
        ("/dev/sda", "a value where a flag was expected"), ("-b 4096 /dev/sda", "a value where a flag was expected"),
    ])
    func ext4FlagsThatTakeAPathOrAreNotListedAreRefused(text: String, found: String) throws {
        let error = try Self.refused(text)
        #expect(error.userMessage.contains("found \(found)"), "\(error.userMessage)")
        #expect(error.userMessage.contains("only the mkfs.ext4 flags moor allows"))
        #expect(error.userMessage.contains("-E lazy_itable_init=0|1,"))
    }

    @Test(arguments: [
        "-b size=4096", "-m crc=1,finobt=1,reflink=0,bigtime=1,inobtcount=1", "-i size=512,maxpct=25,align=1",
        "-d su=64k,sw=4", "-d agcount=8", "-d agsize=1g", "-l size=64m,version=2,su=32k,lazy-count=1", "-n size=8192,ftype=1",
        "-L backup", "-q -K",
    ])
    func xfsSizingAndFeatureFlagsAreAccepted(text: String) throws {
        #expect(try Self.parse(text, fsType: "xfs") == text.split(separator: " ").map(String.init))
    }

    @Test(arguments: [
        ("-p proto", "'-p'"), ("-p /etc/protofile", "'-p'"), ("-l file=/etc/x", "'-l' option 'file'"), ("-l logdev=/dev/sdb", "'-l' option 'logdev'"),
        ("-l name=/x", "'-l' option 'name'"), ("-d file=1,name=/etc/x", "'-d' option 'file'"), ("-d size=1g", "'-d' option 'size'"),
        ("-r rtdev=/dev/sdb", "'-r'"), ("-f", "'-f'"), ("-n ftype=0", "'-n' option 'ftype' with a value"),
        ("-b 4096", "'-b' option '4096'"), ("-L waytoolonglabel", "'-L' with a value"), ("-m crc=1,rmapbt=1", "'-m' option 'rmapbt'"),
    ])
    func xfsProtofilesAndPathsAreRefused(text: String, found: String) throws {
        let error = try Self.refused(text, fsType: "xfs")
        #expect(error.userMessage.contains("found \(found)"), "\(error.userMessage)")
        #expect(error.userMessage.contains("only the mkfs.xfs flags moor allows"))
    }

    @Test func anExt4FlagIsRefusedForXfsAndTheOtherWayRound() throws {
        #expect(try Self.refused("-E lazy_itable_init=1", fsType: "xfs").userMessage.contains("found '-E'"))
        #expect(try Self.refused("-K").userMessage.contains("found '-K'"))
    }

    @Test func iscsiVolumesUseTheSameTables() throws {
        let iscsi = ["type": "iscsi", "portal": "10.0.0.5:3260", "iqn": "iqn.2026-11.io.example:store1"]
        #expect(try Self.refused("-d etc", base: iscsi).userMessage.contains("found '-d'"))
        #expect(try Self.refused("-p proto", fsType: "xfs", base: iscsi).userMessage.contains("found '-p'"))
        let definition = try VolumeDefinition.parse(iscsi.merging(["mkfsOptions": "-E stride=16"]) { $1 })
        #expect(definition.iscsi?.mkfsOptions == ["-E", "stride=16"])
    }

    @Test func aRefusedValueIsNeverEchoed() throws {
        let error = try Self.refused("-L secret/label -d /root")
        #expect(!error.userMessage.contains("secret/label"))
        #expect(!error.userMessage.contains("/root"))
    }
}
