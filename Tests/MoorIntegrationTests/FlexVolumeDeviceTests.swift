import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// `device=` volumes: the admin policy decides, and data is never formatted away.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(5)))
struct FlexVolumeDeviceTests {
    @Test func deviceWithAFileSystemIsMountedAndNeverReformatted() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let device = try Loop.attach(file: root.path + "/user-disk.img", bytes: 64 << 20)
        try Shell.run("/sbin/mkfs.ext4", ["-q", "-F", "-L", "userdata", device])
        let uuid = try Shell.run("/sbin/blkid", ["-s", "UUID", "-o", "value", device])
        let scratch = root.path + "/scratch"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try Shell.run("/bin/mount", [device, scratch])
        try "precious\n".write(toFile: scratch + "/keep.txt", atomically: false, encoding: .utf8)
        try Shell.run("/bin/umount", [scratch])

        try root.writePolicy(#"{"allowedDevices": ["\#(device)"]}"#)
        let kubelet = Kubelet(environment: root.environment)
        let pod = try root.podDir("a")
        var options = Kubelet.podOptions(pv: "pv-dev")
        options["device"] = device
        let reply = try kubelet.mount(pod, options)
        #expect(reply.status == "Success", "\(reply.message)")
        #expect(try String(contentsOfFile: pod + "/keep.txt", encoding: .utf8) == "precious\n")
        #expect(try kubelet.unmount(pod).status == "Success")
        #expect(try Shell.run("/sbin/blkid", ["-s", "UUID", "-o", "value", device]) == uuid, "same file system, not a new one")
        #expect(!Loop.devices(under: root.path).isEmpty, "a device moor did not attach is never detached by it")
    }

    @Test func deviceWithAPartitionTableIsRefusedAndUntouched() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let file = root.path + "/partitioned.img"
        let device = try Loop.attach(file: file, bytes: 16 << 20)
        // A DOS partition table: one Linux partition from sector 2048, and the 0x55AA signature.
        var sector = [UInt8](repeating: 0, count: 512)
        let entry: [UInt8] = [0x00, 0x20, 0x21, 0x00, 0x83, 0x8a, 0x08, 0x82, 0x00, 0x08, 0x00, 0x00, 0x00, 0x78, 0x00, 0x00]
        sector.replaceSubrange(446..<462, with: entry)
        sector[510] = 0x55; sector[511] = 0xaa
        let fd = open(device, O_WRONLY)
        #expect(fd >= 0)
        #expect(pwrite(fd, sector, 512, 0) == 512)
        fsync(fd); close(fd)
        let before = try Data(contentsOf: URL(fileURLWithPath: file)).prefix(1 << 20)

        try root.writePolicy(#"{"allowedDevices": ["/dev/loop*"]}"#)
        let kubelet = Kubelet(environment: root.environment)
        var options = Kubelet.podOptions(pv: "pv-parts")
        options["device"] = device
        let reply = try kubelet.mount(try root.podDir("a"), options)
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("partition table"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).prefix(1 << 20) == before, "not one byte written")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test(arguments: [nil, #"{"allowedDevices": ["/dev/sdz*"]}"#, #"{"allowedDevices": []}"#])
    func deviceOutsideThePolicyIsRefused(policy: String?) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let device = try Loop.attach(file: root.path + "/disk.img", bytes: 16 << 20)
        if let policy { try root.writePolicy(policy) }
        let kubelet = Kubelet(environment: root.environment)
        var options = Kubelet.podOptions(pv: "pv-denied")
        options["device"] = device
        let reply = try kubelet.mount(try root.podDir("a"), options)
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("not allowed by the node's policy"))
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/sbin/blkid")
        probe.arguments = ["-p", device]
        try probe.run(); probe.waitUntilExit()
        #expect(probe.terminationStatus == 2, "still blank: nothing was formatted")
    }

    @Test func malformedPolicyIsAnErrorNeverAllowAll() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let device = try Loop.attach(file: root.path + "/disk.img", bytes: 16 << 20)
        try root.writePolicy(#"{"allowedDevices": "/dev/loop*""#)
        let kubelet = Kubelet(environment: root.environment)
        var options = Kubelet.podOptions(pv: "pv-x")
        options["device"] = device
        let reply = try kubelet.mount(try root.podDir("a"), options)
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("policy"))
    }

    @Test func aBrokenPolicyNeverBlocksUnmount() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let kubelet = Kubelet(environment: root.environment)
        let pod = try root.podDir("a")
        var options = Kubelet.podOptions(pv: "pv-keep")
        options["size"] = "16M"
        #expect(try kubelet.mount(pod, options).status == "Success")
        try root.writePolicy("{not json")
        let reply = try kubelet.unmount(pod)
        #expect(reply.status == "Success", "\(reply.message)")
        #expect(try root.stagingMounts().isEmpty)
    }

    @Test func aBlankDeviceIsNotFormattedForReadOnlyUse() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let device = try Loop.attach(file: root.path + "/blank.img", bytes: 16 << 20)
        try root.writePolicy(#"{"allowedDevices": ["\#(device)"]}"#)
        var options = Kubelet.podOptions(pv: "pv-blank")
        options["device"] = device
        options["readOnly"] = "true"
        let reply = try Kubelet(environment: root.environment).mount(try root.podDir("a"), options)
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("blank"))
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/sbin/blkid")
        probe.arguments = ["-p", device]
        try probe.run(); probe.waitUntilExit()
        #expect(probe.terminationStatus == 2, "still blank")
    }
}
