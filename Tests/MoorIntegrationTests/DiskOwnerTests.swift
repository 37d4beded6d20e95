import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// A node-local disk belongs to who first staged it: Docker's volumes and a
/// Kubernetes namespace's never reach each other's data, unless the node's
/// policy shares the disk (the migration path, docs/migration.md).
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(5)))
struct DiskOwnerTests {
    func options(_ name: String, namespace: String) -> [String: String] {
        var options = Kubelet.podOptions(pv: name)
        options["kubernetes.io/pod.namespace"] = namespace
        options["size"] = "16M"
        return options
    }

    @Test func aDockerDiskIsRefusedToPodsAndAPodsDiskToDockerUnlessShared() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client
        let kubelet = Kubelet(environment: root.environment)
        let pod = try root.podDir("a")

        // Docker first: its disk is Docker's.
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"dockers","Opts":{"size":"16M"}}"#).err == "")
        let mountpoint = try #require(try client.call("/VolumeDriver.Mount", body: #"{"Name":"dockers","ID":"c1"}"#).json?["Mountpoint"]?.string)
        try "from a container\n".write(toFile: mountpoint + "/f", atomically: false, encoding: .utf8)
        let refused = try kubelet.mount(pod, options("dockers", namespace: "default"))
        #expect(refused.status == "Failure")
        #expect(refused.message.contains("belongs to another namespace (or to Docker)"), "\(refused.message)")
        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"dockers","ID":"c1"}"#).err == "")

        // A namespace first: Docker cannot mount it, and its Remove never deletes it.
        #expect(try kubelet.mount(pod, options("podsdisk", namespace: "team")).status == "Success")
        try "from a pod\n".write(toFile: pod + "/f", atomically: false, encoding: .utf8)
        #expect(try kubelet.unmount(pod).status == "Success")
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"podsdisk","Opts":{"size":"16M"}}"#).err == "")
        let mount = try client.call("/VolumeDriver.Mount", body: #"{"Name":"podsdisk","ID":"c2"}"#)
        #expect(mount.err?.contains("belongs to another namespace") == true, "\(mount.body)")
        #expect(try client.call("/VolumeDriver.Remove", body: #"{"Name":"podsdisk"}"#).err == "")
        #expect(FileManager.default.fileExists(atPath: root.stateDir + "/disks/podsdisk.img"), "Docker's remove kept the namespace's disk")
        #expect(try kubelet.mount(pod, options("podsdisk", namespace: "team")).status == "Success")
        #expect(try String(contentsOfFile: pod + "/f", encoding: .utf8) == "from a pod\n")
        #expect(try kubelet.unmount(pod).status == "Success")

        // The admin shares Docker's disk: the migrated pod sees the container's data.
        try root.writePolicy(#"{"sharedDisks": ["dockers"]}"#)
        let shared = try kubelet.mount(pod, options("dockers", namespace: "default"))
        #expect(shared.status == "Success", "\(shared.message)")
        #expect(try String(contentsOfFile: pod + "/f", encoding: .utf8) == "from a container\n")
        #expect(try kubelet.unmount(pod).status == "Success")
        #expect(try root.stagingMounts().isEmpty)
    }
}
