import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// What one volume definition must not reach through `moor mount`: another
/// tenant's disk, another consumer's credentials, a path through a symlink,
/// a device that holds something else. Each ends in a Failure reply, with
/// nothing mounted and nothing changed.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(5)))
struct FlexVolumeIsolationTests {
    func disk(_ pv: String, namespace: String = "default", extra: [String: String] = [:]) -> [String: String] {
        var options = Kubelet.podOptions(pv: pv)
        options["kubernetes.io/pod.namespace"] = namespace
        options["size"] = "16M"
        options.merge(extra) { $1 }
        return options
    }

    @Test func aSparseDiskOfOneNamespaceIsRefusedToAnotherUnlessThePolicySharesIt() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b"), c = try root.podDir("c")
        #expect(try kubelet.mount(a, disk("pv-data", namespace: "team-a")).status == "Success")
        try "team a's\n".write(toFile: a + "/secret", atomically: false, encoding: .utf8)

        // Staged: a pod of another namespace naming the same disk.
        let staged = try kubelet.mount(b, disk("pv-other", namespace: "team-b", extra: ["name": "pv-data"]))
        #expect(staged.status == "Failure")
        #expect(staged.message.contains("belongs to another namespace"), "\(staged.message)")
        #expect(try root.mountTable().mount(at: b) == nil)

        // Not staged: the same answer.
        #expect(try kubelet.unmount(a).status == "Success")
        let unstaged = try kubelet.mount(b, disk("pv-data", namespace: "team-b"))
        #expect(unstaged.status == "Failure")
        #expect(unstaged.message == staged.message)
        #expect(try root.stagingMounts().isEmpty)

        // The same namespace still reaches it, with its data.
        #expect(try kubelet.mount(c, disk("pv-data", namespace: "team-a")).status == "Success")
        #expect(try String(contentsOfFile: c + "/secret", encoding: .utf8) == "team a's\n")
        #expect(try kubelet.unmount(c).status == "Success")

        // The admin shares it: now both namespaces may use it.
        try root.writePolicy(#"{"sharedDisks": ["pv-d*"]}"#)
        let shared = try kubelet.mount(b, disk("pv-data", namespace: "team-b"))
        #expect(shared.status == "Success", "\(shared.message)")
        #expect(try String(contentsOfFile: b + "/secret", encoding: .utf8) == "team a's\n")
        #expect(try kubelet.unmount(b).status == "Success")
    }

    /// One answer for a size the disk does not have, staged or not.
    @Test func anotherSizeIsRefusedTheSameWayWhetherOrNotTheDiskIsStaged() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(try kubelet.mount(a, disk("pv-size")).status == "Success")
        let staged = try kubelet.mount(b, disk("pv-size", extra: ["size": "32M"]))
        #expect(staged.status == "Failure")
        #expect(try kubelet.unmount(a).status == "Success")
        let unstaged = try kubelet.mount(b, disk("pv-size", extra: ["size": "32M"]))
        #expect(unstaged.status == "Failure")
        #expect(staged.message == unstaged.message)
        #expect(staged.message.contains("not the 33554432 requested"), "\(staged.message)")

        // And another file system than the one it holds.
        #expect(try kubelet.mount(a, disk("pv-size")).status == "Success")
        let fsType = try kubelet.mount(b, disk("pv-size", extra: ["fsType": "xfs"]))
        #expect(fsType.status == "Failure")
        #expect(fsType.message.contains("already holds a ext4 file system"), "\(fsType.message)")
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
    }

    /// kubelet's pod dirs are resolved without symlinks, for mount and for
    /// unmount alike, so a path always names what the mount table shows.
    @Test(arguments: ["parent", "leaf"])
    func aMountDirThroughASymlinkIsRefusedForMountAndUnmount(where link: String) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let real = try root.podDir("real")
        let dir: String
        if link == "parent" {
            try FileManager.default.createSymbolicLink(atPath: root.path + "/pods/alias", withDestinationPath: root.path + "/pods/real")
            dir = root.path + "/pods/alias/volumes/moor~moor/vol"
        } else {
            dir = root.path + "/pods/real/volumes/moor~moor/link"
            try FileManager.default.createSymbolicLink(atPath: dir, withDestinationPath: real)
        }
        let reply = try kubelet.mount(dir, disk("pv-link"))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("symbolic link"), "\(reply.message)")
        #expect(try root.mountTable().mounts(under: root.path).isEmpty, "nothing mounted, not even staging")

        // Mounted at the real path, an unmount through the link is refused, not a silent Success.
        #expect(try kubelet.mount(real, disk("pv-link")).status == "Success")
        let unmount = try kubelet.unmount(dir)
        #expect(unmount.status == "Failure")
        #expect(unmount.message.contains("symbolic link"))
        #expect(try root.mountTable().mount(at: real) != nil)
        #expect(try kubelet.unmount(real).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
    }

    /// A device holding swap, LUKS or anything but a file system moor mounts
    /// is refused by name, and never written to.
    @Test(arguments: ["swap", "luks"])
    func aDeviceHoldingSomethingElseIsRefusedByName(holding: String) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let file = root.path + "/\(holding).img"
        let device = try Loop.attach(file: file, bytes: 16 << 20)
        if holding == "swap" {
            try Shell.run("/sbin/mkswap", [device])
        } else {
            // A LUKS1 header as blkid reads it: magic, version 1, cipher, a UUID.
            var header = [UInt8](repeating: 0, count: 592)
            header.replaceSubrange(0..<8, with: [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0x00, 0x01])
            header.replaceSubrange(8..<11, with: Array("aes".utf8))
            header.replaceSubrange(168..<204, with: Array("0b0a64f6-6b1d-4c4a-9d6d-6f8f7e3a1b2c".utf8))
            let fd = open(device, O_WRONLY)
            #expect(pwrite(fd, header, header.count, 0) == header.count)
            fsync(fd); close(fd)
        }
        let type = try Shell.run("/sbin/blkid", ["-p", "-s", "TYPE", "-o", "value", device]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(type == (holding == "swap" ? "swap" : "crypto_LUKS"))
        let before = try Data(contentsOf: URL(fileURLWithPath: file)).prefix(1 << 20)

        try root.writePolicy(#"{"allowedDevices": ["\#(device)"]}"#)
        let kubelet = Kubelet(environment: root.environment)
        var options = Kubelet.podOptions(pv: "pv-\(holding)")
        options["device"] = device
        let reply = try kubelet.mount(try root.podDir("a"), options)
        #expect(reply.status == "Failure")
        #expect(reply.message.contains(holding == "swap" ? "holds a swap area" : "holds a LUKS encrypted volume"), "\(reply.message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).prefix(1 << 20) == before, "not one byte written")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func aBadStateDirIsAnErrorAndATrailingSlashIsFine() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let pod = try root.podDir("a")
        for bad in ["relative/state", root.stateDir + "/../x", root.stateDir + "//x", "/"] {
            var environment = root.environment
            environment["MOOR_STATE_DIR"] = bad
            let reply = try Kubelet(environment: environment).mount(pod, disk("pv-env"))
            #expect(reply.status == "Failure", "MOOR_STATE_DIR=\(bad)")
            #expect(reply.message.contains("MOOR_STATE_DIR"))
        }
        #expect(!FileManager.default.fileExists(atPath: "/var/lib/moor/disks/pv-env.img"), "no silent fallback to the default state dir")
        var environment = root.environment
        environment["MOOR_STATE_DIR"] = root.stateDir + "/"
        let kubelet = Kubelet(environment: environment)
        #expect(try kubelet.mount(pod, disk("pv-env")).status == "Success")
        #expect(FileManager.default.fileExists(atPath: root.stateDir + "/disks/pv-env.img"))
        #expect(try kubelet.unmount(pod).status == "Success")
    }
}

/// sshfs: credentials are part of a staged source's identity.
@Suite(.enabled(if: Node.canRunFUSE), .timeLimit(.minutes(5)))
struct FlexVolumeCredentialIsolationTests {
    func options(_ server: SSHServer, key: String?) throws -> [String: String] {
        var options = Kubelet.podOptions(pv: "pv-ssh")
        options["type"] = "fuse"
        options["helper"] = "sshfs"
        options["source"] = server.source
        options["mountOptions"] = "port=\(server.port)"
        options["timeout"] = "10"
        if let key { options["kubernetes.io/secret/sshKey"] = Data(key.utf8).base64EncodedString() }
        return options
    }

    /// Pod A mounts with the right key; pod B names the same source with no
    /// key, then with another key: neither joins A's staging mount.
    @Test func aConsumerWithoutTheCredentialsNeverJoinsAStagedShare() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        let goodKey = try String(contentsOfFile: server.clientKey, encoding: .utf8)
        #expect(try kubelet.mount(a, options(server, key: goodKey)).status == "Success")
        try "private\n".write(toFile: server.exportDir + "/data", atomically: false, encoding: .utf8)

        let strangerKey = root.path + "/stranger"
        try Shell.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", strangerKey])
        for key in [nil, try String(contentsOfFile: strangerKey, encoding: .utf8)] {
            let reply = try kubelet.mount(b, options(server, key: key))
            #expect(reply.status == "Failure", "a consumer with \(key == nil ? "no key" : "another key") got in")
            #expect(try root.mountTable().mount(at: b) == nil)
            #expect(!FileManager.default.fileExists(atPath: b + "/data"))
        }
        #expect(try root.stagingMounts().count == 1, "only A's staging mount; B's failed attempts left nothing")

        // The same key joins the one staging mount.
        #expect(try kubelet.mount(b, options(server, key: goodKey)).status == "Success")
        #expect(try String(contentsOfFile: b + "/data", encoding: .utf8) == "private\n")
        #expect(try root.stagingMounts().count == 1)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.stateDir + "/credentials").filter { $0.hasSuffix(".key") }.isEmpty)
    }
}

/// The same rule through moord: two Docker volumes of one sshfs source share
/// a staging mount only with the same key, and a kubelet pod with no key
/// does not join a share Docker staged.
@Suite(.enabled(if: Node.canRunFUSE), .timeLimit(.minutes(5)))
struct DockerCredentialIsolationTests {
    @Test func aDockerVolumeWithoutTheKeyNeverJoinsAStagedShare() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client
        let key = try String(contentsOfFile: server.clientKey, encoding: .utf8)
        func create(_ name: String, key: String?) throws -> String? {
            var opts: [String: String] = ["type": "fuse", "helper": "sshfs", "source": server.source,
                                          "mountOptions": "port=\(server.port)", "timeout": "10"]
            if let key { opts["sshKey"] = key }
            let body = try JSONSerialization.data(withJSONObject: ["Name": name, "Opts": opts])
            return try client.call("/VolumeDriver.Create", body: String(decoding: body, as: UTF8.self)).err
        }
        #expect(try create("keyed", key: key) == "")
        #expect(try create("keyless", key: nil) == "")
        #expect(try client.call("/VolumeDriver.Mount", body: #"{"Name":"keyed","ID":"c1"}"#).err == "")
        try "docker's\n".write(toFile: server.exportDir + "/data", atomically: false, encoding: .utf8)

        let refused = try client.call("/VolumeDriver.Mount", body: #"{"Name":"keyless","ID":"c2"}"#)
        #expect(refused.err?.isEmpty == false, "a volume with no key got in: \(refused.body)")
        #expect(!FileManager.default.fileExists(atPath: root.stateDir + "/mounts/keyless/data"))
        var options = Kubelet.podOptions(pv: "pv-ssh")
        options.merge(["type": "fuse", "helper": "sshfs", "source": server.source, "mountOptions": "port=\(server.port)", "timeout": "10"]) { $1 }
        let pod = try root.podDir("a")
        #expect(try Kubelet(environment: root.environment).mount(pod, options).status == "Failure")
        #expect(try root.mountTable().mount(at: pod) == nil)
        #expect(try root.stagingMounts().count == 1, "only the keyed volume's staging mount")

        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"keyed","ID":"c1"}"#).err == "")
        #expect(try root.stagingMounts().isEmpty)
    }
}
