import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// The userspace half of the NFS backend (libnfs) against a real
/// nfs-ganesha on loopback, on the host. This host has no kernel NFS
/// client, so `mount.nfs` itself fails here, after the checks these tests
/// are about; the kernel mounts are tested inside the QEMU guest.
@Suite(.serialized, .enabled(if: Node.canRunNFSServer), .timeLimit(.minutes(5)))
struct NFSServerSideTests {
    func nfs(_ extra: [String: String]) -> [String: String] {
        var options = Kubelet.podOptions(pv: "pv-nfs")
        options["type"] = "nfs"
        options["server"] = "127.0.0.1"
        options.merge(extra) { $1 }
        return options
    }

    @Test(arguments: ["3", "4"])
    func createSubdirMakesTheDirectoryOnTheServer(version: String) throws {
        let server = try NFSServer.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment, wrapper: server.enter)
        let share = version == "3" ? server.exportDir : NFSServer.pseudoPath
        let subdir = "teams/v\(version)/\(UUID().uuidString.prefix(8))"
        let reply = try kubelet.mount(try root.podDir("a"), nfs(["share": share, "version": version, "subdir": subdir, "createSubdir": "true"]))
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: server.exportDir + "/" + subdir, isDirectory: &isDirectory) && isDirectory.boolValue,
                "libnfs made \(subdir) on the server")
        if !Node.hasKernelNFSClient {
            // Past the checks, the kernel mount is all that is missing on this host.
            #expect(reply.message.contains("mount.nfs"), "\(reply.message)")
        }
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func aMissingExportFailsFastNamingIt() throws {
        let server = try NFSServer.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment, wrapper: server.enter)
        let start = ContinuousClock.now
        let reply = try kubelet.mount(try root.podDir("a"), nfs(["share": "/no/such/export", "version": "3", "timeout": "5"]))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("export /no/such/export is not usable"), "\(reply.message)")
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func aStoppedServerFailsWithinTheTimeout() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        // Outside the server's namespace nothing serves NFS: a stopped server.
        let kubelet = Kubelet(environment: root.environment)
        let start = ContinuousClock.now
        let reply = try kubelet.mount(try root.podDir("a"), nfs(["server": "127.0.0.1", "share": "/srv/gone", "timeout": "5"]))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("nfs server 127.0.0.1 export /srv/gone is not usable"), "\(reply.message)")
        #expect(ContinuousClock.now - start < .seconds(6), "within the volume's 5 s timeout")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test(arguments: [
        (["server": "-oops", "share": "/x"], "option 'server'"),
        (["server": "127.0.0.1", "share": "relative/path"], "option 'share'"),
        (["server": "127.0.0.1", "share": "/x", "version": "5"], "option 'version'"),
        (["server": "127.0.0.1", "share": "/x", "subdir": "../up"], "option 'subdir'"),
        (["server": "127.0.0.1", "share": "/x", "onRemove": "delete"], "option 'onRemove'"),
        (["server": "", "share": "/x"], "missing required option 'server'"),
    ])
    func badDefinitionsAreRefusedNamingTheKey(_ options: [String: String], _ expected: String) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let reply = try Kubelet(environment: root.environment).mount(try root.podDir("a"), nfs(options))
        #expect(reply.status == "Failure")
        #expect(reply.message.contains(expected), "\(reply.message)")
    }

    @Test(arguments: ["keep", "archive", "delete"])
    func removingADockerVolumeKeepsArchivesOrDeletesItsSubdirectory(onRemove: String) throws {
        let server = try NFSServer.get()
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root, wrapper: server.enter); defer { moord.stop() }
        let name = "vol-\(onRemove)-\(UUID().uuidString.prefix(6).lowercased())"
        let create = #"{"Name":"\#(name)","Opts":{"type":"nfs","server":"127.0.0.1","share":"\#(server.exportDir)","version":"3","onRemove":"\#(onRemove)"}}"#
        #expect(try moord.client.call("/VolumeDriver.Create", body: create).err == "")
        // The volume's data, as a container would have left it.
        try FileManager.default.createDirectory(atPath: server.exportDir + "/" + name + "/deep/er", withIntermediateDirectories: true)
        try "data".write(toFile: server.exportDir + "/" + name + "/deep/er/file", atomically: false, encoding: .utf8)

        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"\#(name)"}"#).err == "")
        let entries = try FileManager.default.contentsOfDirectory(atPath: server.exportDir)
        switch onRemove {
        case "keep":
            #expect(entries.contains(name))
        case "archive":
            #expect(!entries.contains(name))
            let archived = try #require(entries.first { $0.hasPrefix("archived-\(name)-") })
            #expect(try String(contentsOfFile: server.exportDir + "/" + archived + "/deep/er/file", encoding: .utf8) == "data")
        default:
            #expect(!entries.contains { $0.contains(name) }, "deleted, with everything in it")
        }
    }
}
