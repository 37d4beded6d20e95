import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// sshfs volumes through the `moor` binary, against a real sshd on loopback.
@Suite(.enabled(if: Node.canRunFUSE), .timeLimit(.minutes(5)))
struct FlexVolumeFUSETests {
    func options(_ server: SSHServer, key: String? = nil, pv: String = "pv-ssh", extra: [String: String] = [:]) throws -> [String: String] {
        var options = Kubelet.podOptions(pv: pv)
        options["type"] = "fuse"
        options["helper"] = "sshfs"
        options["source"] = server.source
        options["mountOptions"] = "port=\(server.port)"
        let keyText = try String(contentsOfFile: key ?? server.clientKey, encoding: .utf8)
        options["kubernetes.io/secret/sshKey"] = Data(keyText.utf8).base64EncodedString()
        options.merge(extra) { $1 }
        return options
    }

    @Test func mountIsFastSharedByTwoPodsAndWritesReachTheServer() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")

        let start = ContinuousClock.now
        let reply = try kubelet.mount(a, options(server))
        let elapsed = ContinuousClock.now - start
        #expect(reply.status == "Success", "\(reply.message)")
        #expect(elapsed < .seconds(2), "moor mount of sshfs took \(elapsed)")
        #expect(try kubelet.mount(b, options(server)).status == "Success")

        try "through a\n".write(toFile: a + "/hello", atomically: false, encoding: .utf8)
        #expect(try String(contentsOfFile: server.exportDir + "/hello", encoding: .utf8) == "through a\n")
        #expect(try String(contentsOfFile: b + "/hello", encoding: .utf8) == "through a\n")

        let staging = try root.stagingMounts()
        #expect(staging.count == 1)
        #expect(staging.first?.fsType == "fuse.sshfs")
        let stagingPath = try #require(staging.first?.mountPoint)
        #expect(SSHServer.processes(naming: stagingPath).count == 1, "one sshfs daemon serves both pods")
        let credentials = try FileManager.default.contentsOfDirectory(atPath: root.stateDir + "/credentials").filter { $0.hasSuffix(".key") }
        #expect(credentials.count == 1)
        var info = stat()
        #expect(stat(root.stateDir + "/credentials/" + credentials[0], &info) == 0 && info.st_mode & 0o077 == 0, "root-only key file")

        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
        #expect(SSHServer.processes(naming: stagingPath).isEmpty, "the daemon is gone")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.stateDir + "/credentials").filter { $0.hasSuffix(".key") }.isEmpty,
                "the key file is removed on release")
        let log = root.logText()
        let key = try String(contentsOfFile: server.clientKey, encoding: .utf8)
        #expect(!log.contains(key.split(separator: "\n")[1]), "no key material in the log")
    }

    @Test func killingMoorsProcessGroupLeavesTheShareWorking() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let a = try root.podDir("a")
        // kubelet's process group: moor runs inside it, then the group is killed.
        let script = "echo $$ > \"$3.pid\"; \"$0\" mount \"$1\" \"$2\" > \"$3\" 2>&1; sleep 60"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/bin/sh", "-c", script, Kubelet.moorBinary, a, Kubelet.goJSON(try options(server)), root.path + "/reply"]
        var env = ProcessInfo.processInfo.environment
        env.merge(root.environment) { $1 }
        process.environment = env
        try process.run()
        for _ in 0..<200 where (try? String(contentsOfFile: root.path + "/reply", encoding: .utf8))?.contains("status") != true { usleep(25_000) }
        #expect(try String(contentsOfFile: root.path + "/reply", encoding: .utf8).contains(#""status":"Success""#))
        // setsid made the shell a session and group leader; kill its whole group.
        let group = try #require(Int32(String(contentsOfFile: root.path + "/reply.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(-group, SIGKILL) == 0)
        process.waitUntilExit()
        usleep(200_000)
        try "after the kill\n".write(toFile: a + "/alive", atomically: false, encoding: .utf8)
        #expect(try String(contentsOfFile: server.exportDir + "/alive", encoding: .utf8) == "after the kill\n")
        #expect(try Kubelet(environment: root.environment).unmount(a).status == "Success")
    }

    @Test func aDeadDaemonIsHealedByTheNextMountAndTheOldConsumerStillUnmounts() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(try kubelet.mount(a, options(server)).status == "Success")
        let stagingPath = try #require(try root.stagingMounts().first?.mountPoint)
        for pid in SSHServer.processes(naming: stagingPath) { kill(pid, SIGKILL) }
        usleep(200_000)
        #expect(throws: (any Error).self) { _ = try FileManager.default.contentsOfDirectory(atPath: a) }
        #expect(errno == ENOTCONN)

        let healed = try kubelet.mount(b, options(server))
        #expect(healed.status == "Success", "\(healed.message)")
        try "healed\n".write(toFile: b + "/f", atomically: false, encoding: .utf8)
        #expect(try String(contentsOfFile: server.exportDir + "/f", encoding: .utf8) == "healed\n")
        #expect(SSHServer.processes(naming: stagingPath).count == 1)

        #expect(try kubelet.unmount(a).status == "Success", "the dead consumer unmounts")
        #expect(try !root.mountTable().isMountPoint(a))
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func wrongKeyOrNoServerFailsClearlyAndLeavesNothing() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let wrongKey = try String(contentsOfFile: server.wrongKey, encoding: .utf8)

        let denied = try kubelet.mount(a, options(server, key: server.wrongKey, extra: ["timeout": "10"]))
        #expect(denied.status == "Failure")
        #expect(denied.message.contains("Permission denied") || denied.message.contains("read: Connection reset"), "\(denied.message)")
        #expect(!denied.output.contains(wrongKey.split(separator: "\n")[1]))

        var unreachable = try options(server, extra: ["timeout": "3"])
        unreachable["mountOptions"] = "port=1"
        let start = ContinuousClock.now
        let refused = try kubelet.mount(a, unreachable)
        #expect(refused.status == "Failure")
        #expect(ContinuousClock.now - start < .seconds(10), "within the volume's timeout")
        #expect(refused.message.contains("Connection refused"), "\(refused.message)")

        #expect(try root.stagingMounts().isEmpty)
        #expect(try !root.mountTable().isMountPoint(a))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: root.stagingRoot)) ?? []
        #expect(leftovers.allSatisfy { SSHServer.processes(naming: root.stagingRoot + "/" + $0).isEmpty }, "no daemon left")
        let credentials = (try? FileManager.default.contentsOfDirectory(atPath: root.stateDir + "/credentials")) ?? []
        #expect(credentials.filter { $0.hasSuffix(".key") }.isEmpty, "no key file left")
        #expect(!root.logText().contains(wrongKey.split(separator: "\n")[1]))
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        // A listener that accepts and never speaks SSH.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(silent, 8)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))

        var hung = try options(server, extra: ["timeout": "3"])
        hung["mountOptions"] = "port=\(port)"
        let start = ContinuousClock.now
        let reply = try Kubelet(environment: root.environment).mount(try root.podDir("a"), hung)
        #expect(reply.status == "Failure")
        #expect(ContinuousClock.now - start < .seconds(10), "the 3 s timeout holds")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func aHelperOutsideThePolicyIsRefused() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        var options = Kubelet.podOptions(pv: "pv-s3")
        options["type"] = "fuse"
        options["helper"] = "s3fs"
        options["source"] = "bucket"
        let reply = try kubelet.mount(try root.podDir("a"), options)
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("'s3fs' is not allowed by the node's policy"))
    }
}
