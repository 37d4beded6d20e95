import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// moord behind a real dockerd (Debian's docker.io), with a private socket
/// and data root. Serialised: the tests share one dockerd, and one of them
/// restarts it.
@Suite(.serialized, .enabled(if: Node.canRunDocker), .timeLimit(.minutes(10)))
struct DockerPluginTests {
    @Test func volumeLifecycleThroughDocker() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }

        try docker.run(["volume", "create", "-d", moord.name, "v1"])
        try docker.container(["v1:/data"], ["sh", "-c", "echo written-by-first > /data/file"])
        #expect(try docker.container(["v1:/data"], ["cat", "/data/file"]) == "written-by-first\n")

        let inspect = try docker.run(["volume", "inspect", "v1"])
        let volume = try #require(try JSONDecoder().decode([JSONValue].self, from: Data(inspect.utf8)).first?.object)
        #expect(volume["Driver"]?.string == moord.name)
        let status = try #require(volume["Status"]?.object)
        #expect(status["backend"]?.string == "disk")
        #expect(status["mounted"] == .bool(false))
        #expect(status["refs"] == .number(0))
        #expect(try docker.run(["volume", "ls", "--format", "{{.Driver}} {{.Name}}"]).contains("\(moord.name) v1"))

        try docker.container(["v1:/data"], ["sleep", "600"], detached: true, name: "holder-v1")
        let refused = docker.attempt(["volume", "rm", "v1"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("in use"))
        // moord refuses too, should anything bypass dockerd's own check.
        let direct = try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"v1"}"#)
        #expect(direct.err?.contains("in use") == true)

        try docker.run(["rm", "-f", "holder-v1"])
        try docker.run(["volume", "rm", "v1"])
        #expect(try !docker.run(["volume", "ls", "-q"]).contains("v1"))
        #expect(try root.stagingMounts().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.stateDir + "/disks/v1.img"), "rm deletes the sparse disk")
    }

    @Test func sizeIsEnforcedAndReadOnlyIsReadOnly() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }

        try docker.run(["volume", "create", "-d", moord.name, "-o", "size=64M", "small"])
        let fill = docker.attempt(["run", "--rm", "--network", "none", "-v", "small:/data", docker.image,
                                   "sh", "-c", "dd if=/dev/zero of=/data/big bs=1M count=100 2>&1; sync"])
        #expect(fill.output.contains("No space left on device"))
        let size = try docker.container(["small:/data"], ["sh", "-c", "df -k /data | tail -1"])
        let blocks = Int(size.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        #expect(blocks > 40_000 && blocks <= 65_536, "df sees a ~64 MiB file system, saw \(blocks) KiB")

        try docker.run(["volume", "create", "-d", moord.name, "-o", "readOnly=true", "-o", "size=16M", "frozen"])
        let write = docker.attempt(["run", "--rm", "--network", "none", "-v", "frozen:/data", docker.image, "touch", "/data/x"])
        #expect(write.status != 0)
        #expect(write.output.contains("Read-only file system"))
        try docker.run(["volume", "rm", "small", "frozen"])
    }

    @Test func overlappingContainersKeepTheVolumeMountedUntilTheLastStops() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        try docker.run(["volume", "create", "-d", moord.name, "-o", "size=32M", "shared"])
        let mountpoint = root.stateDir + "/mounts/shared"

        try docker.container(["shared:/data"], ["sleep", "600"], detached: true, name: "ov-a")
        try docker.container(["shared:/data"], ["sleep", "600"], detached: true, name: "ov-b")
        #expect(try root.mountTable().isMountPoint(mountpoint))
        try docker.run(["rm", "-f", "ov-a"])
        #expect(try root.mountTable().isMountPoint(mountpoint), "ov-b still runs")
        try docker.container(["shared:/data"], ["sleep", "600"], detached: true, name: "ov-c")
        try docker.run(["rm", "-f", "ov-b"])
        #expect(try root.mountTable().isMountPoint(mountpoint), "ov-c still runs")
        try docker.container(["shared:/data"], ["sh", "-c", "echo hi > /data/f"])
        try docker.run(["rm", "-f", "ov-c"])
        #expect(try !root.mountTable().isMountPoint(mountpoint))
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty)
        try docker.run(["volume", "rm", "shared"])
    }

    @Test func moordKilledWithSIGKILLLosesNothing() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        for name in ["k1", "k2", "k3"] { try docker.run(["volume", "create", "-d", moord.name, "-o", "size=16M", name]) }
        try docker.container(["k1:/data"], ["sleep", "600"], detached: true, name: "kill-a")
        try docker.container(["k1:/data", "k2:/other"], ["sleep", "600"], detached: true, name: "kill-b")

        moord.kill9()
        // With moord dead, the running containers keep their mounts.
        try docker.run(["exec", "kill-a", "sh", "-c", "echo during-outage > /data/f"])
        try moord.start()

        #expect(try docker.run(["exec", "kill-b", "cat", "/data/f"]) == "during-outage\n")
        try docker.run(["exec", "kill-b", "sh", "-c", "echo after-restart > /other/g"])
        let listed = try docker.run(["volume", "ls", "-q"])
        #expect(["k1", "k2", "k3"].allSatisfy { listed.contains($0) })
        let get = try moord.client.call("/VolumeDriver.Get", body: #"{"Name":"k1"}"#)
        #expect(get.json?["Volume"]?.object?["Status"]?.object?["refs"] == .number(2))

        try docker.run(["rm", "-f", "kill-a", "kill-b"])
        #expect(try !root.mountTable().isMountPoint(root.stateDir + "/mounts/k1"))
        #expect(try !root.mountTable().isMountPoint(root.stateDir + "/mounts/k2"))
        #expect(try root.stagingMounts().isEmpty)
        #expect(try docker.container(["k2:/d"], ["cat", "/d/g"]) == "after-restart\n")
        try docker.run(["volume", "rm", "k1", "k2", "k3"])
    }

    @Test func dockerdRestartKeepsVolumesListedAndMountable() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        try docker.run(["volume", "create", "-d", moord.name, "-o", "size=16M", "persist"])
        try docker.container(["persist:/data"], ["sh", "-c", "echo before > /data/f"])

        try docker.restart()

        #expect(try docker.run(["volume", "ls", "-q"]).contains("persist"))
        #expect(try docker.container(["persist:/data"], ["cat", "/data/f"]) == "before\n")
        try docker.run(["volume", "rm", "persist"])
    }

    @Test func twentyVolumesInParallelAndTenContainersOnOne() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let names = (0..<20).map { "par\($0)" }
        for name in names { try docker.run(["volume", "create", "-d", moord.name, "-o", "size=16M", name]) }
        try docker.run(["volume", "create", "-d", moord.name, "-o", "size=32M", "busy"])

        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            let result = docker.attempt(["run", "--rm", "--network", "none", "-v", "\(names[i]):/data", docker.image,
                                         "sh", "-c", "echo \(i) > /data/id && cat /data/id"])
            if result.status != 0 || result.output != "\(i)\n" { failures.add("par\(i): \(result.output)") }
        }
        DispatchQueue.concurrentPerform(iterations: 10) { i in
            let result = docker.attempt(["run", "--rm", "--network", "none", "-v", "busy:/data", docker.image,
                                         "sh", "-c", "echo \(i) > /data/c\(i) && sleep 1 && cat /data/c\(i)"])
            if result.status != 0 || result.output != "\(i)\n" { failures.add("busy \(i): \(result.output)") }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(try docker.container(["busy:/data"], ["sh", "-c", "ls /data | wc -l"]).trimmingCharacters(in: .whitespacesAndNewlines) == "10")
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty)
        try docker.run(["volume", "rm"] + names + ["busy"])
    }

    @Test func reconcileReleasesReferencesDockerNeverUnmounted() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        try docker.run(["volume", "create", "-d", moord.name, "-o", "size=16M", "leaky"])
        try docker.run(["volume", "create", "-d", moord.name, "-o", "size=16M", "held"])
        try docker.container(["held:/data"], ["sleep", "600"], detached: true, name: "holder-held")
        // A container that died while dockerd was down: its Unmount never comes.
        #expect(try moord.client.call("/VolumeDriver.Mount", body: #"{"Name":"leaky","ID":"died-during-outage"}"#).err == "")
        #expect(try root.mountTable().isMountPoint(root.stateDir + "/mounts/leaky"))

        let output = try Shell.run(Moord.binary, ["reconcile", "--name", moord.name, "--docker-socket", docker.socket])
        #expect(output.contains(#""Released":["leaky"]"#))
        #expect(try !root.mountTable().isMountPoint(root.stateDir + "/mounts/leaky"))
        #expect(try root.mountTable().isMountPoint(root.stateDir + "/mounts/held"), "a running container's volume stays")
        try docker.run(["rm", "-f", "holder-held"])
        try docker.run(["volume", "rm", "leaky", "held"])
    }

    @Test(.enabled(if: Node.canRunFUSE))
    func sshfsVolumeSurvivesAMoordRestartAndReportsItsHealth() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let server = try SSHServer(in: root); defer { server.stop() }
        let moord = try Moord(root: root); defer { moord.stop() }
        // A key file on the node is used only where the policy allows it.
        try root.writePolicy(#"{"allowedCredentialFiles": ["\#(server.clientKey)"]}"#)
        try docker.run(["volume", "create", "-d", moord.name, "-o", "type=fuse", "-o", "helper=sshfs",
                        "-o", "source=\(server.source)", "-o", "mountOptions=port=\(server.port)",
                        "-o", "sshKeyFile=\(server.clientKey)", "remote"])
        try docker.container(["remote:/data"], ["sh", "-c", "echo from-container > /data/note"])
        #expect(try String(contentsOfFile: server.exportDir + "/note", encoding: .utf8) == "from-container\n")

        try docker.container(["remote:/data"], ["sleep", "600"], detached: true, name: "ssh-holder")
        moord.kill9()
        try moord.start()
        try docker.run(["exec", "ssh-holder", "sh", "-c", "echo after-restart > /data/note2"])
        #expect(try String(contentsOfFile: server.exportDir + "/note2", encoding: .utf8) == "after-restart\n")

        let inspect = try docker.run(["volume", "inspect", "remote"])
        #expect(inspect.contains(#""healthy": true"#), "\(inspect)")
        #expect(!inspect.contains("BEGIN OPENSSH"), "no key material in inspect")
        // Kill the sshfs daemon: Status says so, and the next container's Mount heals it.
        let staging = try #require(try root.stagingMounts().first?.mountPoint)
        for pid in SSHServer.processes(naming: staging) { kill(pid, SIGKILL) }
        usleep(300_000)
        #expect(try docker.run(["volume", "inspect", "remote"]).contains(#""healthy": false"#))
        // ssh-holder still holds the dead mount; a new container's Mount heals the volume.
        #expect(try docker.container(["remote:/data"], ["cat", "/data/note2"]) == "after-restart\n")
        #expect(try docker.run(["volume", "inspect", "remote"]).contains(#""healthy": true"#))
        try docker.run(["rm", "-f", "ssh-holder"])
        try docker.run(["volume", "rm", "remote"])
        #expect(try root.stagingMounts().isEmpty)
    }

    final class Failures: @unchecked Sendable {
        let lock = NSLock()
        var all: [String] = []
        func add(_ s: String) { lock.lock(); all.append(s); lock.unlock() }
    }

    /// The `local` driver's bind form, unchanged, against moord: a host
    /// directory the policy allows, and `volume rm` never touches it.
    @Test func localDriverBindFormSharesAHostDirectoryAndRmKeepsIt() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let host = root.path + "/srv/site"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try "from the host\n".write(toFile: host + "/index.html", atomically: false, encoding: .utf8)
        let moord = try Moord(root: root); defer { moord.stop() }

        try docker.run(["volume", "create", "-d", moord.name, "-o", "type=none", "-o", "o=bind", "-o", "device=\(host)", "outside"])
        let refused = docker.attempt(["run", "--rm", "--network", "none", "-v", "outside:/data", docker.image, "true"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("allowedHostPaths in \(root.policyFile)"), "\(refused.output)")
        #expect(try root.stagingMounts().isEmpty)
        try docker.run(["volume", "rm", "outside"])

        try root.writePolicy(#"{"allowedHostPaths": ["\#(root.path)/srv/*"]}"#)
        try docker.run(["volume", "create", "-d", moord.name, "-o", "type=none", "-o", "o=bind", "-o", "device=\(host)", "site"])
        #expect(try docker.container(["site:/data"], ["cat", "/data/index.html"]) == "from the host\n")
        try docker.container(["site:/data"], ["sh", "-c", "echo from a container > /data/log.txt"])
        #expect(try String(contentsOfFile: host + "/log.txt", encoding: .utf8) == "from a container\n")

        let inspect = try docker.run(["volume", "inspect", "site"])
        let volume = try #require(try JSONDecoder().decode([JSONValue].self, from: Data(inspect.utf8)).first?.object)
        let status = try #require(volume["Status"]?.object)
        #expect(status["backend"]?.string == "bind")
        #expect(status["hostPath"]?.string == host)

        try docker.run(["volume", "create", "-d", moord.name, "-o", "type=none", "-o", "o=bind,ro", "-o", "device=\(host)", "site-ro"])
        let write = docker.attempt(["run", "--rm", "--network", "none", "-v", "site-ro:/data", docker.image, "touch", "/data/x"])
        #expect(write.status != 0)
        #expect(write.output.contains("Read-only file system"))

        try docker.run(["volume", "rm", "site", "site-ro"])
        #expect(try !docker.run(["volume", "ls", "-q"]).contains("site"))
        #expect(try String(contentsOfFile: host + "/index.html", encoding: .utf8) == "from the host\n", "rm keeps the host's data")
        #expect(try String(contentsOfFile: host + "/log.txt", encoding: .utf8) == "from a container\n")
        #expect(try root.stagingMounts().isEmpty)
    }
}
