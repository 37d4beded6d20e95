import Foundation
import MoorCore
import MoorTestSupport
import Testing
import Yams

/// `moor migrate docker`, end to end on this machine: a volume of Docker's
/// own `local` driver (ext4 on a real loop device, the host's equivalent of
/// the guest's NFS test in Tests/guest/nfs.sh) moves to moor, and both the
/// printed command and the printed PersistentVolume show the data it held.
/// Part of DockerPluginTests, which is serialised around the shared dockerd.
extension DockerPluginTests {
    @Test func migratedLocalDriverVolumeShowsTheSameDataThroughMoordAndKubelet() throws {
        let docker = try DockerHost.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let device = try Loop.attach(file: root.path + "/legacy.img", bytes: 64 << 20)
        try Shell.run("/sbin/mkfs.ext4", ["-q", device])
        let name = "legacy-\(getpid())"

        try docker.run(["volume", "create", "-o", "type=ext4", "-o", "device=\(device)", "-o", "o=noatime", "--label", "app=shop", name])
        try docker.container(["\(name):/data"], ["sh", "-c", "echo before-the-move > /data/file"])
        let inspect = try docker.run(["volume", "inspect", name])

        let commands = try MoorCommand.run(["migrate", "docker", "--driver", moord.name, "--output", "commands"], stdin: inspect)
        #expect(commands.status == 0, "stderr: \(commands.stderr)")
        let words = try MoorCommand.shellWords(commands.stdout.trimmingCharacters(in: .newlines))
        #expect(Array(words.prefix(5)) == ["docker", "volume", "create", "-d", moord.name])
        #expect(words.last == name)

        // The old definition goes first (Docker names are unique across
        // drivers); the data lives on the device, not in Docker.
        try docker.run(["volume", "rm", name])
        try root.writePolicy(#"{"allowedDevices": ["\#(device)"]}"#)
        try docker.run(Array(words.dropFirst()))
        #expect(try docker.container(["\(name):/data"], ["cat", "/data/file"]) == "before-the-move\n")
        #expect(try docker.run(["volume", "inspect", "--format", "{{.Driver}} {{.Labels.app}}", name]) == "\(moord.name) shop\n")

        // The PersistentVolume it prints, mounted the way kubelet calls moor.
        let manifests = try MoorCommand.run(["migrate", "docker", "--output", "manifests"], stdin: inspect)
        let pv = try #require(try Yams.load_all(yaml: manifests.stdout).compactMap { $0 as? [String: Any] }.first { $0["kind"] as? String == "PersistentVolume" })
        let flex = try #require((pv["spec"] as? [String: Any])?["flexVolume"] as? [String: Any])
        #expect(flex["driver"] as? String == "moor/moor")
        let options = try #require(flex["options"] as? [String: String], "every option value is a YAML string")
        #expect(options == ["type": "disk", "device": device, "fsType": "ext4", "mountOptions": "noatime"])
        let kubelet = Kubelet(environment: root.environment)
        let pod = try root.podDir("migrated")
        let reply = try kubelet.mount(pod, options.merging(Kubelet.podOptions(pv: name)) { a, _ in a })
        #expect(reply.status == "Success", "\(reply.output)")
        #expect(try String(contentsOfFile: pod + "/file", encoding: .utf8) == "before-the-move\n")
        #expect(try kubelet.unmount(pod).status == "Success")

        try docker.run(["volume", "rm", name])
    }
}

/// Runs the built `moor` as a person would: arguments, stdin, separate
/// stdout and stderr, exit status.
enum MoorCommand {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Kubelet.moorBinary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = error.fileHandleForReading.readDataToEndOfFile() }
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Splits a printed command line the way /bin/sh does.
    static func shellWords(_ line: String) throws -> [String] {
        let out = try Shell.run("/bin/sh", ["-c", "set -- \(line); printf '%s\\n' \"$@\""])
        return out.split(separator: "\n").map(String.init)
    }
}
