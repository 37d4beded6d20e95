import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// `moor doctor`, the built binary, on this machine's real kernel, loop
/// devices, mounts and a real moord. Expectations about the kernel are
/// computed from the machine, so on a kernel without NFS (this one) the
/// "missing" branch is what runs.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(3)))
struct DoctorCommandTests {
    struct Document: Decodable {
        struct Verdict: Decodable { var backend: String; var usable: Bool; var blockedBy: [String] }
        struct Finding: Decodable { var id: String; var group: String; var status: String; var subject: String?; var found: String; var fix: String? }
        var version: Int
        var kernel: String
        var problems: Int
        var warnings: Int
        var backends: [Verdict]
        var findings: [Finding]

        func one(_ id: String) throws -> Finding {
            let matching = findings.filter { $0.id == id }
            try #require(matching.count == 1, "expected one \(id), got \(matching.map(\.found))")
            return matching[0]
        }
        func all(_ id: String) -> [Finding] { findings.filter { $0.id == id } }
        func backend(_ name: String) throws -> Verdict { try #require(backends.first { $0.backend == name }) }
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `moor doctor ARGS` with the private paths of `root`, so nothing
    /// of the machine's own kubelet, moord or state dir is looked at.
    static func doctor(_ root: TempRoot, _ extra: [String] = [], json: Bool = true) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Kubelet.moorBinary)
        var arguments = ["doctor", "--state-dir", root.stateDir, "--plugin-dir", root.path + "/plugins",
                         "--docker-socket", root.path + "/moord.sock", "--kubelet-dir", root.path + "/kubelet"]
        // A later flag wins in ArgumentParser, so tests override the defaults above.
        arguments += extra
        if json { arguments.append("--json") }
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MOOR_") }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func document(_ root: TempRoot, _ extra: [String] = []) throws -> (Document, Run) {
        let run = try doctor(root, extra)
        let document = try JSONDecoder().decode(Document.self, from: Data(run.stdout.utf8))
        return (document, run)
    }

    // MARK: Kernel and helpers

    static var release: String { (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }

    /// Whether the running kernel offers `module` by any route doctor accepts,
    /// judged independently of doctor (the file system table, sysfs, and the
    /// module lists of exactly this kernel).
    static func kernelOffers(module: String, fileSystem: String?) -> Bool {
        let filesystems = (try? Sys.readText("/proc/filesystems")) ?? ""
        if let fileSystem, filesystems.split(separator: "\n").contains(where: { $0.hasSuffix("\t" + fileSystem) }) { return true }
        if FileManager.default.fileExists(atPath: "/sys/module/" + module) { return true }
        let dir = "/lib/modules/" + release
        let lists = ((try? Sys.readText(dir + "/modules.dep")) ?? "") + "\n" + ((try? Sys.readText(dir + "/modules.builtin")) ?? "")
        return lists.split(separator: "\n").contains { line in
            let path = line.split(separator: ":").first ?? ""
            return path.hasSuffix("/" + module + ".ko") || path.contains("/" + module + ".ko.")
        }
    }

    @Test func kernelFindingsMatchTheRunningKernel() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let (document, run) = try Self.document(root)
        #expect(document.version == 1)
        #expect(document.kernel == Self.release)

        let nfs = try document.one("nfs.kernel-client")
        let iscsi = try document.one("iscsi.iscsi_tcp")
        #expect(nfs.status == (Self.kernelOffers(module: "nfs", fileSystem: "nfs") ? "ok" : "problem"), "\(nfs.found)")
        #expect(iscsi.status == (Self.kernelOffers(module: "iscsi_tcp", fileSystem: nil) ? "ok" : "problem"), "\(iscsi.found)")
        // This machine's kernel has neither, and /lib/modules has no modules for it.
        if !Self.kernelOffers(module: "nfs", fileSystem: "nfs") {
            #expect(nfs.found.contains("not in /proc/filesystems and no module for the running kernel \(Self.release)"), "\(nfs.found)")
            #expect(nfs.fix?.contains("CONFIG_NFS_FS") == true)
            #expect(try document.backend("nfs").usable == false)
            #expect(try document.backend("nfs").blockedBy.contains("nfs.kernel-client"))
            #expect(run.status == 1, "a problem makes doctor exit 1")
        }
        if !Self.kernelOffers(module: "iscsi_tcp", fileSystem: nil) {
            #expect(iscsi.found.contains("no module for the running kernel \(Self.release)"), "\(iscsi.found)")
            #expect(try document.backend("iscsi").usable == false)
        }
        for id in ["disk.loop", "disk.ext4", "fuse.kernel", "fuse.dev-fuse", "disk.loop-control"] {
            let finding = try document.one(id)
            #expect(finding.status == "ok", "\(id): \(finding.found)")
        }
        for helper in ["disk.mkfs.ext4", "disk.blkid", "disk.losetup", "node.mount"] {
            let finding = try document.one(helper)
            #expect(finding.status == "ok")
            let path = try #require(finding.found.split(separator: " ").last.map(String.init))
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(helper) names a real program: \(finding.found)")
        }
        #expect(try document.backend("disk").usable)
        #expect(document.problems == document.findings.filter { $0.status == "problem" }.count)
        #expect(run.stderr.isEmpty, "nothing on stderr: \(run.stderr)")
    }

    @Test func textReportCarriesTheSameFindingsWithOneFixPerProblem() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let (document, jsonRun) = try Self.document(root)
        let text = try Self.doctor(root, json: false)
        #expect(text.status == jsonRun.status)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        for finding in document.findings {
            let line = try #require(lines.firstIndex { $0.contains(" \(finding.id) ") && $0.contains(finding.found) },
                                    "no line for \(finding.id)")
            #expect(lines[line].trimmingCharacters(in: .whitespaces).hasPrefix(finding.status))
            if let fix = finding.fix {
                #expect(lines[line + 1].trimmingCharacters(in: .whitespaces) == "fix: " + fix)
            } else {
                #expect(finding.status == "ok")
            }
        }
        for verdict in document.backends {
            #expect(lines.contains { $0.hasPrefix(verdict.backend) && $0.contains(verdict.usable ? "usable" : "NOT usable") })
        }
    }

    @Test func badFlagNamesTheFlagAndExits64() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let run = try Self.doctor(root, ["--state-dir", "relative/dir"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--state-dir"))
        #expect(run.stdout.isEmpty)
    }

    // MARK: moord

    @Test func moordSocketIsOkWhenItAnswersAndAProblemWhenNobodyListens() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root)
        defer { moord.stop() }
        let running = try Self.document(root, ["--docker-socket", moord.socket]).0.one("docker.moord")
        #expect(running.status == "ok", "\(running.found)")

        // Crashed: the socket file stays, nobody listens on it.
        moord.kill9()
        #expect(FileManager.default.fileExists(atPath: moord.socket))
        let crashed = try Self.document(root, ["--docker-socket", moord.socket]).0.one("docker.moord")
        #expect(crashed.status == "problem", "\(crashed.found)")
        #expect(crashed.fix?.contains("rm \(moord.socket)") == true)

        try moord.start()
        #expect(try Self.document(root, ["--docker-socket", moord.socket]).0.one("docker.moord").status == "ok")
    }

    @Test func noMoordSocketIsAWarningThatDoesNotFailDoctor() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let finding = try Self.document(root).0.one("docker.moord")
        #expect(finding.status == "warning")
        #expect(finding.found.contains("moord is not running"))
    }

    // MARK: State dir

    @Test func orphanedLoopDeviceAndStaleRecordAreReportedEachWithAFix() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        try FileManager.default.createDirectory(atPath: root.stateDir + "/disks", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.stagingRoot, withIntermediateDirectories: true)
        let image = root.stateDir + "/disks/lost.img"
        let device = try Loop.attach(file: image, bytes: 8 << 20)
        let key = "disk-lost-0123456789abcdef"
        try #"{"loopBackingFile":"\#(image)","source":"disk file lost.img","type":"disk","version":1}"#
            .write(toFile: root.stagingRoot + "/\(key).json", atomically: true, encoding: .utf8)

        let (document, _) = try Self.document(root)
        let orphan = try #require(document.all("state.orphaned-loop").first { $0.subject == device }, "\(document.findings.filter { $0.group == "state" })")
        #expect(orphan.status == "warning")
        #expect(orphan.found.contains(image))
        #expect(orphan.fix?.contains("losetup -d \(device)") == true)
        let stale = try #require(document.all("state.stale-record").first { $0.subject == key })
        #expect(stale.fix?.contains("rm \(root.stagingRoot)/\(key).json") == true)
        #expect(try document.one("state.writable").status == "ok")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.stateDir).sorted() == ["disks", "staging"], "doctor leaves nothing behind")
    }

    @Test func aStagingMountWithoutRecordIsAProblem() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let key = "disk-stray-fedcba9876543210"
        try FileManager.default.createDirectory(atPath: root.stagingRoot + "/" + key, withIntermediateDirectories: true)
        try Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", root.stagingRoot + "/" + key])
        let (document, run) = try Self.document(root)
        let finding = try document.one("state.unrecorded-staging-mount")
        #expect(finding.status == "problem")
        #expect(finding.subject == key)
        #expect(run.status == 1)
    }

    @Test func aVolumeInUseIsConsistentAndItsLoopDeviceIsNotAnOrphan() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let pod = try root.podDir("a")
        var options = Kubelet.podOptions(pv: "pv-doctor")
        options["size"] = "32M"
        #expect(try kubelet.mount(pod, options).status == "Success")
        #expect(Loop.devices(under: root.stateDir).count == 1)

        let (document, _) = try Self.document(root)
        let state = document.findings.filter { $0.group == "state" }
        #expect(state.allSatisfy { $0.status == "ok" }, "\(state.map(\.found))")
        #expect(try document.one("state.staging").found.hasPrefix("1 staging mount"))

        // The pod goes, the staging mount stays by hand: unused, not orphaned.
        #expect(umount2(pod, 0) == 0)
        let after = try Self.document(root).0
        #expect(after.all("state.unused-staging-mount").count == 1)
        #expect(after.all("state.orphaned-loop").isEmpty, "the staging mount still uses the loop device")
    }

    // MARK: Plugin dir

    @Test func driverInstalledWithTheInstallerIsFoundAsThisBuild() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let installer = GuestNodeTests.packageRoot.appendingPathComponent("install/install-flexvolume.sh").path
        try Shell.run(installer, [Kubelet.moorBinary, root.path + "/plugins"])
        let finding = try Self.document(root).0.one("kubernetes.driver")
        #expect(finding.status == "ok", "\(finding.found)")
        #expect(finding.found.contains("the same build as this moor"))
    }

    @Test func missingDriverIsAProblemWithTheInstallCommand() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let finding = try Self.document(root).0.one("kubernetes.driver")
        #expect(finding.status == "problem")
        #expect(finding.fix == "install/install-flexvolume.sh \(try Sys.realpath(Kubelet.moorBinary)) \(root.path)/plugins")
    }

    @Test func anotherBuildOrANonExecutableDriverIsReported() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let dir = root.path + "/plugins/moor~moor"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/bin/true", toPath: dir + "/moor")
        let other = try Self.document(root).0.one("kubernetes.driver")
        #expect(other.status == "warning")
        #expect(other.found.contains("different build"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir + "/moor")
        let notExecutable = try Self.document(root).0.one("kubernetes.driver")
        #expect(notExecutable.status == "problem")
        #expect(notExecutable.fix == "chmod 0755 \(dir)/moor")
    }

    // MARK: Mount propagation

    @Test func kubeletDirOnAPrivateMountIsAProblemAndOnASharedOneIsOk() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubeletDir = root.path + "/kubelet"
        #expect(try Self.document(root).0.one("kubernetes.mount-propagation").found.contains("not a kubelet node"))

        try FileManager.default.createDirectory(atPath: kubeletDir, withIntermediateDirectories: true)
        try Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", kubeletDir])
        try Shell.run("/usr/bin/mount", ["--make-private", kubeletDir])
        let privateMount = try Self.document(root).0.one("kubernetes.mount-propagation")
        #expect(privateMount.status == "problem")
        #expect(privateMount.fix?.hasPrefix("mount --make-rshared \(kubeletDir)") == true)

        try Shell.run("/usr/bin/mount", ["--make-shared", kubeletDir])
        #expect(try Self.document(root).0.one("kubernetes.mount-propagation").status == "ok")
    }
}
