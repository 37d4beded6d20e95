import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// `type=bind` host directories through the `moor` binary, driven as
/// kubelet drives it, with real bind mounts.
@Suite(.enabled(if: Node.canBindMount), .timeLimit(.minutes(2)))
struct FlexVolumeBindTests {
    /// A root whose policy allows the tree `<root>/allowed`.
    func allowedRoot() throws -> (TempRoot, String) {
        let root = try TempRoot()
        let allowed = root.path + "/allowed"
        try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)
        try root.writePolicy(#"{"allowedHostPaths": ["\#(allowed)"]}"#)
        return (root, allowed)
    }

    func hostPath(_ path: String, pv: String = "pv-host", readWrite: String = "rw", extra: [String: String] = [:]) -> [String: String] {
        var options = Kubelet.podOptions(pv: pv, readWrite: readWrite)
        options["type"] = "bind"
        options["path"] = path
        options.merge(extra) { $1 }
        return options
    }

    func mode(_ path: String) -> (mode: UInt32, uid: UInt32, gid: UInt32)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (UInt32(info.st_mode & 0o7777), info.st_uid, info.st_gid)
    }

    @Test func hostDataIsSeenByTwoPodsThroughOneStagingMountAndOutlivesThem() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let data = allowed + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try "from the host\n".write(toFile: data + "/host.txt", atomically: false, encoding: .utf8)
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")

        let first = try kubelet.mount(a, hostPath(data))
        #expect(first.status == "Success", "\(first.message)")
        #expect(try kubelet.mount(b, hostPath(data)).status == "Success")
        #expect(try String(contentsOfFile: a + "/host.txt", encoding: .utf8) == "from the host\n")
        #expect(try String(contentsOfFile: b + "/host.txt", encoding: .utf8) == "from the host\n")
        try "from pod a\n".write(toFile: a + "/pod.txt", atomically: false, encoding: .utf8)
        #expect(try String(contentsOfFile: data + "/pod.txt", encoding: .utf8) == "from pod a\n", "a pod writes into the host directory")
        #expect(try String(contentsOfFile: b + "/pod.txt", encoding: .utf8) == "from pod a\n")

        let staging = try root.stagingMounts()
        #expect(staging.count == 1, "one staging mount for both pods")
        #expect(staging.first?.root == data, "of the host directory itself")

        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try root.stagingMounts().count == 1, "b still uses it")
        #expect(try !root.mountTable().isMountPoint(a))
        #expect(try kubelet.unmount(b).status == "Success")
        #expect(try root.stagingMounts().isEmpty, "the last unmount releases the staging mount")
        #expect(try !root.mountTable().isMountPoint(b))
        #expect(try String(contentsOfFile: data + "/host.txt", encoding: .utf8) == "from the host\n", "host data stays")
        #expect(try String(contentsOfFile: data + "/pod.txt", encoding: .utf8) == "from pod a\n")
    }

    @Test func readOnlyOptionMakesThePodsViewReadOnlyAndTheHostStaysWritable() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(try kubelet.mount(a, hostPath(allowed, extra: ["readOnly": "true"])).status == "Success")
        #expect(open(a + "/nope", O_CREAT | O_WRONLY, 0o644) == -1)
        #expect(errno == EROFS)
        #expect(try root.mountTable().mount(at: a)?.isReadOnly == true)
        try "host writes\n".write(toFile: allowed + "/f", atomically: false, encoding: .utf8)
        #expect(try String(contentsOfFile: a + "/f", encoding: .utf8) == "host writes\n")

        // kubelet's own read-only flag makes only that pod's bind read-only.
        #expect(try kubelet.mount(b, hostPath(allowed, pv: "pv-rw", readWrite: "ro")).status == "Success")
        #expect(open(b + "/nope", O_CREAT | O_WRONLY, 0o644) == -1)
        #expect(errno == EROFS)
    }

    @Test func mountOptionsBecomeFlagsOfThePodsMount() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let reply = try kubelet.mount(a, hostPath(allowed, extra: ["mountOptions": "nosuid,nodev,noexec"]))
        #expect(reply.status == "Success", "\(reply.message)")
        let options = try #require(try root.mountTable().mount(at: a)?.options)
        #expect(["nosuid", "nodev", "noexec"].allSatisfy(options.contains), "\(options)")
        #expect(options.contains("rw"))
    }

    @Test(arguments: [nil, #"{"allowedHostPaths": []}"#, #"{"allowedHostPaths": ["/srv/*"]}"#])
    func aPathOutsideAllowedHostPathsIsRefusedAndNothingMounted(policy: String?) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        if let policy { try root.writePolicy(policy) }
        let data = root.path + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let reply = try kubelet.mount(a, hostPath(data))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("host path \(data) is not allowed"))
        #expect(reply.message.contains("allowedHostPaths in \(root.policyFile)"))
        #expect(try root.stagingMounts().isEmpty)
        #expect(try !root.mountTable().isMountPoint(a))
    }

    @Test func aPolicyTightenedWhileStagedRefusesTheNextPod() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a"), b = try root.podDir("b")
        #expect(try kubelet.mount(a, hostPath(allowed)).status == "Success")
        try root.writePolicy(#"{"allowedHostPaths": []}"#)
        let reply = try kubelet.mount(b, hostPath(allowed))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("is not allowed by the node's policy"))
        #expect(try !root.mountTable().isMountPoint(b))
        #expect(try root.mountTable().isMountPoint(a), "a pod already running keeps its volume")
        #expect(try kubelet.unmount(a).status == "Success", "and unmount never asks the policy")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func aSymlinkInsideTheTreeThatPointsOutIsRefused() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        try FileManager.default.createSymbolicLink(atPath: allowed + "/evil", withDestinationPath: "/etc")
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        for path in [allowed + "/evil", allowed + "/evil/ssl"] {
            let reply = try kubelet.mount(a, hostPath(path))
            #expect(reply.status == "Failure")
            #expect(reply.message.contains("\(allowed)/evil in host path \(path) is a symbolic link (to /etc)"), "\(reply.message)")
            #expect(try root.stagingMounts().isEmpty)
            #expect(try !root.mountTable().isMountPoint(a))
        }
    }

    @Test func aSymlinkThatStaysInsideTheTreeIsRefusedToo() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        try FileManager.default.createDirectory(atPath: allowed + "/releases/v2", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: allowed + "/current", withDestinationPath: "releases/v2")
        let reply = try Kubelet(environment: root.environment).mount(try root.podDir("a"), hostPath(allowed + "/current"))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("is a symbolic link (to releases/v2)"))
        #expect(reply.message.contains("give the real path"))
    }

    @Test func aMissingDirectoryIsNamedAndCreatePathCreatesItWithTheGivenOwnerAndMode() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        let fresh = allowed + "/fresh"
        let missing = try kubelet.mount(a, hostPath(fresh))
        #expect(missing.status == "Failure")
        #expect(missing.message == "bind: host path \(fresh) does not exist on this node; create it, or set createPath=true")
        #expect(!FileManager.default.fileExists(atPath: fresh))

        let created = try kubelet.mount(a, hostPath(fresh, extra: ["createPath": "true", "mode": "0750", "uid": "1000", "gid": "1001"]))
        #expect(created.status == "Success", "\(created.message)")
        let made = try #require(mode(fresh))
        #expect(made.mode == 0o750 && made.uid == 1000 && made.gid == 1001)
        try "x".write(toFile: a + "/through-pod", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(FileManager.default.fileExists(atPath: fresh + "/through-pod"), "unmount leaves the created directory and its data")

        // An existing directory keeps its owner and mode.
        #expect(try kubelet.mount(a, hostPath(fresh, extra: ["createPath": "true", "mode": "0700", "uid": "0"])).status == "Success")
        #expect(mode(fresh)?.mode == 0o750 && mode(fresh)?.uid == 1000)
    }

    @Test func createPathOnlyCreatesInsideAnAllowedTree() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        try root.writePolicy(#"{"allowedHostPaths": ["\#(allowed)/*"]}"#)
        let reply = try kubelet.mount(a, hostPath(allowed + "/new", extra: ["createPath": "true"]))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("createPath creates a directory only inside an allowed tree: its parent \(allowed) is not allowed"))
        #expect(!FileManager.default.fileExists(atPath: allowed + "/new"))

        let deep = try kubelet.mount(a, hostPath(allowed + "/x/y", extra: ["createPath": "true"]))
        #expect(deep.status == "Failure")
        #expect(deep.message.contains("\(allowed)/x is missing (createPath creates only the last directory)"))
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func aFileIsNotADirectory() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        try "not a dir".write(toFile: allowed + "/file", atomically: false, encoding: .utf8)
        let reply = try Kubelet(environment: root.environment).mount(try root.podDir("a"), hostPath(allowed + "/file"))
        #expect(reply.status == "Failure")
        #expect(reply.message == "bind: host path \(allowed)/file is not a directory")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func moorsStateDirectoryIsNeverAHostPath() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        try root.writePolicy(#"{"allowedHostPaths": ["\#(root.path)"]}"#)
        try FileManager.default.createDirectory(atPath: root.stateDir, withIntermediateDirectories: true)
        let kubelet = Kubelet(environment: root.environment)
        for path in [root.stateDir, root.path] {
            let reply = try kubelet.mount(try root.podDir("a"), hostPath(path))
            #expect(reply.status == "Failure")
            #expect(reply.message.contains("moor's state directory"), "\(reply.message)")
        }
    }

    /// A local PV's directory is often a mount root of its own
    /// (`/mnt/disks/ssd1`); the host's mount of it is not a consumer.
    @Test func aHostDirectoryThatIsAMountRootIsReleasedWithItsLastPod() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let disk = allowed + "/ssd1"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        #expect(mount("tmpfs", disk, "tmpfs", 0, "size=1m") == 0)
        try "on the disk\n".write(toFile: disk + "/f", atomically: false, encoding: .utf8)
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        #expect(try kubelet.mount(a, hostPath(disk)).status == "Success")
        #expect(try String(contentsOfFile: a + "/f", encoding: .utf8) == "on the disk\n")
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try root.stagingMounts().isEmpty, "the host's own mount of the directory does not hold the staging mount")
        #expect(try root.mountTable().isMountPoint(disk), "and it is left mounted")
        #expect(try String(contentsOfFile: disk + "/f", encoding: .utf8) == "on the disk\n")
    }

    @Test func mountAndUnmountAreIdempotent() throws {
        let (root, allowed) = try allowedRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let a = try root.podDir("a")
        #expect(try kubelet.mount(a, hostPath(allowed)).status == "Success")
        #expect(try kubelet.mount(a, hostPath(allowed)).status == "Success")
        #expect(try root.mountTable().entries.filter { $0.mountPoint == a }.count == 1)
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try kubelet.unmount(a).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
    }
}
