import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// Issue 11's command-execution attacks, through both front doors against a
/// real sshd: options that would make ssh run a command are refused before
/// any helper runs, and nothing is mounted or written.
@Suite(.enabled(if: Node.canRunFUSE), .timeLimit(.minutes(3)))
struct OptionAllowListTests {
    /// Each would run `id > marker` as root through ssh's shell.
    static func attacks(marker: String) -> [(option: String, name: String)] {
        [
            ("ProxyCommand=sh${IFS}-c${IFS}id>\(marker)", "ProxyCommand"),
            ("proxycommand=sh${IFS}-c${IFS}id>\(marker)", "proxycommand"),
            ("ssh_command=sh${IFS}-c${IFS}id>\(marker)", "ssh_command"),
            ("PermitLocalCommand=yes,LocalCommand=id>\(marker)", "PermitLocalCommand"),
        ]
    }

    @Test func sshfsProxyCommandThroughMoorMountFailsNamingMountOptionsAndRunsNothing() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let kubelet = Kubelet(environment: root.environment)
        let marker = root.path + "/pwned"
        for (option, name) in Self.attacks(marker: marker) {
            var options = Kubelet.podOptions(pv: "pv-attack")
            options["type"] = "fuse"
            options["helper"] = "sshfs"
            options["source"] = server.source
            options["mountOptions"] = "port=\(server.port),\(option)"
            options["kubernetes.io/secret/sshKey"] = Data(try String(contentsOfFile: server.clientKey, encoding: .utf8).utf8).base64EncodedString()
            let pod = try root.podDir("a")
            let reply = try kubelet.mount(pod, options)
            #expect(reply.status == "Failure", "\(option): \(reply.output)")
            #expect(reply.message.contains("'mountOptions'"), "\(reply.message)")
            #expect(reply.message.contains("found '\(name)'"), "\(reply.message)")
            #expect(!reply.message.contains(marker), "the value is never echoed")
            usleep(200_000)
            #expect(!FileManager.default.fileExists(atPath: marker), "\(option) ran a command")
            #expect(try root.stagingMounts().isEmpty)
            #expect(try !root.mountTable().isMountPoint(pod))
            #expect(try root.mountTable().mounts(under: root.path).filter { $0.mountPoint != root.stagingRoot }.isEmpty, "nothing is mounted")
        }
    }

    @Test func sshfsProxyCommandThroughMoordCreateIsAnErrNamingTheOption() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let marker = root.path + "/pwned"
        for (option, name) in Self.attacks(marker: marker) {
            let opts: [String: String] = ["type": "fuse", "helper": "sshfs", "source": server.source,
                                          "mountOptions": "port=\(server.port),\(option)"]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["Name": "evil", "Opts": opts]), as: UTF8.self)
            let reply = try moord.client.call("/VolumeDriver.Create", body: body)
            #expect(reply.err?.contains("mountOptions") == true, "\(reply.body)")
            #expect(reply.err?.contains("found '\(name)'") == true, "\(reply.body)")
            #expect(reply.err?.contains(marker) == false)
            // Nothing was recorded, so no later Mount can run it either.
            #expect(try moord.client.call("/VolumeDriver.Mount", body: #"{"Name":"evil","ID":"c1"}"#).err?.contains("no such volume") == true)
        }
        usleep(200_000)
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try root.stagingMounts().isEmpty)
        let list = try moord.client.call("/VolumeDriver.List", body: "{}")
        #expect(list.json?["Volumes"] == .array([]))
    }
}
