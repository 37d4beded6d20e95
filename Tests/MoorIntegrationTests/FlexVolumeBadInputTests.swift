import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// Bad input gets one JSON `Failure` naming the problem, and every existing
/// volume keeps its mounts and data.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(5)))
struct FlexVolumeBadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// nil: use a fresh pod dir.
        var dir: String?
        var json: String?
        var options: [String: String]
        var expected: String
        var testDescription: String { name }
    }

    static let base = Kubelet.podOptions(pv: "pv-bad")

    static func with(_ extra: [String: String]) -> [String: String] { base.merging(extra) { $1 } }

    static let cases: [Case] = [
        Case(name: "malformed JSON", json: #"{"size":"16M""#, options: [:], expected: "not a JSON object"),
        Case(name: "JSON that is not an object of strings", json: #"{"size":16}"#, options: [:], expected: "not a JSON object"),
        Case(name: "unknown option", options: with(["sizee": "16M"]), expected: "unknown option 'sizee'"),
        Case(name: "missing option", options: with(["type": "nfs", "share": "/export"]), expected: "missing required option 'server'"),
        Case(name: "unknown type", options: with(["type": "ceph"]), expected: "option 'type'"),
        Case(name: "mountOptions with a newline", options: with(["size": "16M", "mountOptions": "noatime\nrw"]), expected: "'mountOptions'"),
        Case(name: "mountOptions with a leading dash", options: with(["size": "16M", "mountOptions": "-oremount"]), expected: "'-'"),
        Case(name: "mountOptions that rebinds", options: with(["size": "16M", "mountOptions": "noatime,bind"]), expected: "'bind'"),
        Case(name: "unparseable size", options: with(["size": "lots"]), expected: "option 'size'"),
        Case(name: "zero size", options: with(["size": "0"]), expected: "option 'size'"),
        Case(name: "path-like name", options: with(["size": "16M", "name": "../../etc"]), expected: "option 'name'"),
        Case(name: "device with dot-dot", options: with(["device": "/dev/../etc/passwd"]), expected: "option 'device'"),
        Case(name: "fsType not supported", options: with(["size": "16M", "fsType": "vfat"]), expected: "option 'fsType'"),
        Case(name: "relative mount dir", dir: "relative/dir", options: with(["size": "16M"]), expected: "absolute"),
        Case(name: "non-existent mount dir", dir: "/nonexistent/moor/pod/dir", options: with(["size": "16M"]), expected: "does not exist"),
        // Only loopback addresses: no test sends traffic anywhere else.
        Case(name: "unreachable nfs server", options: with(["type": "nfs", "server": "127.0.0.1", "share": "/export", "timeout": "5"]), expected: "is not usable"),
        Case(name: "iscsi name that is not an iqn", options: with(["type": "iscsi", "portal": "127.0.0.1:3260", "iqn": "store1"]), expected: "option 'iqn'"),
        Case(name: "fuse helper outside the policy", options: with(["type": "fuse", "helper": "s3fs", "source": "bucket"]), expected: "not allowed by the node's policy"),
        // Issue 11: values that reach a helper's argv, a config file or a path.
        Case(name: "mkfs populating from a host directory", options: with(["size": "16M", "mkfsOptions": "-d etc"]), expected: "found '-d'"),
        Case(name: "mkfs options hiding -d after a valid flag", options: with(["size": "16M", "mkfsOptions": "-E root_owner=0:0 -d /"]), expected: "found '-d'"),
        Case(name: "a userspace subdir mount option", options: with(["size": "16M", "mountOptions": "X-mount.subdir=lost+found"]), expected: "found 'X-mount.subdir'"),
        Case(name: "an ext4 journal on another device", options: with(["size": "16M", "mountOptions": "journal_path=/dev/sda"]), expected: "found 'journal_path'"),
        Case(name: "an iscsi iface outside its directory", options: with(["type": "iscsi", "portal": "127.0.0.1:3260", "iqn": "iqn.2026-11.io.example:x", "iface": "../../../etc/passwd"]), expected: "option 'iface'"),
        Case(name: "an initiator name with a newline", options: with(["type": "iscsi", "portal": "127.0.0.1:3260", "iqn": "iqn.2026-11.io.example:x", "initiatorName": "iqn.2026-11.io.example:n\nnode.startup = automatic"]), expected: "option 'initiatorName'"),
        Case(name: "root's own ssh key", options: with(["type": "fuse", "helper": "sshfs", "source": "root@127.0.0.1:/x", "sshKeyFile": "/root/.ssh/id_rsa"]), expected: "allowedCredentialFiles"),
        Case(name: "an ssh option that writes a file", options: with(["type": "fuse", "helper": "sshfs", "source": "root@127.0.0.1:/x", "mountOptions": "UserKnownHostsFile=/etc/passwd"]), expected: "found 'UserKnownHostsFile'"),
    ]

    @Test(arguments: cases)
    func badInputFailsClearlyAndLeavesExistingVolumesIntact(_ bad: Case) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let existing = try root.podDir("existing")
        var good = Self.base
        good["size"] = "16M"
        good["kubernetes.io/pvOrVolumeName"] = "pv-good"
        #expect(try kubelet.mount(existing, good).status == "Success")
        try "intact\n".write(toFile: existing + "/data", atomically: false, encoding: .utf8)
        let before = try root.mountTable().mounts(under: root.path).map(\.mountPoint)

        let dir = try bad.dir ?? root.podDir("victim")
        let reply = try kubelet.call(["mount", dir, bad.json ?? Kubelet.goJSON(bad.options)])
        #expect(reply.status == "Failure")
        #expect(reply.message.contains(bad.expected), "message: \(reply.message)")
        #expect(reply.exitStatus == 0)

        #expect(try root.mountTable().mounts(under: root.path).map(\.mountPoint) == before)
        #expect(try String(contentsOfFile: existing + "/data", encoding: .utf8) == "intact\n")
        #expect(!((try? root.mountTable().isMountPoint(dir)) ?? true))
    }

    @Test func aSecretNeverReachesTheReplyOrTheLog() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        var options = Kubelet.podOptions(pv: "pv-secret")
        options["size"] = "16M"
        let secret = "hunter2-very-secret"
        let encoded = Data(secret.utf8).base64EncodedString()
        options["kubernetes.io/secret/sshPassword"] = encoded
        let reply = try kubelet.mount(try root.podDir("a"), options)
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("unknown option 'sshPassword'"))
        #expect(!reply.output.contains(secret) && !reply.output.contains(encoded))
        let log = root.logText()
        #expect(!log.isEmpty, "the failure is logged")
        #expect(!log.contains(secret) && !log.contains(encoded))
    }

    @Test func anUnwritableLogStillGivesOneJSONObject() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        var environment = root.environment
        environment["MOOR_LOG"] = "/proc/moor-cannot-write-here/moor.log"
        let reply = try Kubelet(environment: environment).mount(try root.podDir("a"), Kubelet.podOptions(pv: "pv-nolog").merging(["sizee": "1"]) { $1 })
        #expect(reply.status == "Failure")
    }
}
