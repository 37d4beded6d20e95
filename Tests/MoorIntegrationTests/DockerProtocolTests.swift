import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// The plugin protocol spoken directly over moord's socket: exact keys,
/// errors in `{"Err": ...}` form, and bad input that harms nothing.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(5)))
struct DockerProtocolTests {
    @Test func activateCapabilitiesAndExactKeys() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client
        #expect(try client.call("/Plugin.Activate", body: "").body.hasPrefix(#"{"Implements":["VolumeDriver"]}"#))
        #expect(try client.call("/VolumeDriver.Capabilities", body: "{}").json?["Capabilities"] == .object(["Scope": .string("local")]))
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"k","Opts":null}"#).err == "")
        let get = try client.call("/VolumeDriver.Get", body: #"{"Name":"k"}"#)
        let volume = try #require(get.json?["Volume"]?.object)
        #expect(Set(volume.keys) == ["Name", "Mountpoint", "CreatedAt", "Status"])
        let created = try #require(volume["CreatedAt"]?.string)
        #expect(try Date(created, strategy: .iso8601) <= Date.now, "CreatedAt is RFC 3339")
        let mount = try client.call("/VolumeDriver.Mount", body: #"{"Name":"k","ID":"id1"}"#)
        #expect(mount.json?["Mountpoint"]?.string == root.stateDir + "/mounts/k")
        #expect(try client.call("/VolumeDriver.Path", body: #"{"Name":"k"}"#).json?["Mountpoint"]?.string == root.stateDir + "/mounts/k")
        let status = try client.call("/VolumeDriver.Get", body: #"{"Name":"k"}"#).json?["Volume"]?.object?["Status"]?.object
        #expect(status?["mounted"] == .bool(true))
        if case .number(let capacity)? = status?["capacityBytes"] { #expect(capacity > Double(1 << 30)) } else { Issue.record("no capacity in Status") }
        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"k","ID":"id1"}"#).err == "")
        #expect(try client.call("/VolumeDriver.Remove", body: #"{"Name":"k"}"#).err == "")
        #expect(try client.call("/VolumeDriver.Remove", body: #"{"Name":"k"}"#).err == "", "remove is idempotent")
        #expect(try client.call("/VolumeDriver.Get", body: #"{"Name":"k"}"#).err?.contains("no such volume") == true)
    }

    @Test func sameMountIDTwiceNeedsTwoUnmounts() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"m","Opts":{"size":"16M"}}"#).err == "")
        let mountpoint = root.stateDir + "/mounts/m"
        for _ in 0..<2 { #expect(try client.call("/VolumeDriver.Mount", body: #"{"Name":"m","ID":"same"}"#).err == "") }
        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"m","ID":"same"}"#).err == "")
        #expect(try root.mountTable().isMountPoint(mountpoint), "docker cp reused the ID: one reference is left")
        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"m","ID":"never-mounted"}"#).err == "")
        #expect(try root.mountTable().isMountPoint(mountpoint), "an unknown ID changes nothing")
        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"m","ID":"same"}"#).err == "")
        #expect(try !root.mountTable().isMountPoint(mountpoint))
    }

    /// moord binds the loop device by ioctl without autoclear; a moord
    /// started anew finds it (by the staging record and sysfs) and releases it.
    @Test func restartedMoordReleasesTheLoopDeviceItBound() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        #expect(try moord.client.call("/VolumeDriver.Create", body: #"{"Name":"r","Opts":{"size":"16M"}}"#).err == "")
        #expect(try moord.client.call("/VolumeDriver.Mount", body: #"{"Name":"r","ID":"c1"}"#).err == "")
        let device = try #require(Loop.devices(under: root.path).first)
        let name = device.split(separator: "/").last.map(String.init) ?? ""
        #expect(try Sys.readText("/sys/block/\(name)/loop/autoclear") == "0\n")

        moord.kill9()
        try moord.start()
        #expect(Loop.devices(under: root.path) == [device], "the mount and its loop device outlive moord")
        #expect(try moord.client.call("/VolumeDriver.Unmount", body: #"{"Name":"r","ID":"c1"}"#).err == "")
        #expect(try root.stagingMounts().isEmpty)
        #expect(Loop.devices(under: root.path).isEmpty, "detached by the new moord")
    }

    @Test func createIsIdempotentAndConflictsAreClear() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"c","Opts":{"size":"16M"}}"#).err == "")
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"c","Opts":{"size":"16M"}}"#).err == "")
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"c","Opts":{"size":"32M"}}"#).err?.contains("different options") == true)
        // Docker local-driver form of a disk.
        let local = try client.call("/VolumeDriver.Create", body: #"{"Name":"l","Opts":{"type":"ext4","device":"/dev/sdz9","o":"noatime"}}"#)
        #expect(local.err == "")
        #expect(try client.call("/VolumeDriver.Mount", body: #"{"Name":"l","ID":"x"}"#).err?.contains("not allowed by the node's policy") == true)
        #expect(try client.call("/VolumeDriver.Get", body: #"{"Name":"l"}"#).json?["Volume"]?.object?["Status"]?.object?["refs"] == .number(0),
                "a failed Mount leaves no reference")
        #expect(try !root.mountTable().isMountPoint(root.stateDir + "/mounts/l"))
    }

    static let bad: [(String, String, String)] = [
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"size":"64M""#, "malformed JSON"),
        ("/VolumeDriver.Create", "", "empty body"),
        ("/VolumeDriver.Mount", #"{"Name":"x"}"#, "malformed JSON"),
        ("/VolumeDriver.Nope", "{}", "unknown endpoint"),
        ("/VolumeDriver.Create", #"{"Name":"../../etc","Opts":{}}"#, "invalid volume name"),
        ("/VolumeDriver.Create", #"{"Name":"a/b","Opts":{}}"#, "invalid volume name"),
        ("/VolumeDriver.Create", #"{"Name":"nul\u0000x","Opts":{}}"#, "invalid volume name"),
        ("/VolumeDriver.Create", "{\"Name\":\"" + String(repeating: "n", count: 300) + "\"}", "invalid volume name"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"sizee":"1G"}}"#, "unknown option 'sizee'"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"size":"huge"}}"#, "option 'size'"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"size":"64M","mountOptions":"rw\nexec"}}"#, "mountOptions"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"type":"tmpfs","device":"tmpfs","o":"size=1m"}}"#, "tmpfs"),
        ("/VolumeDriver.Mount", #"{"Name":"ghost","ID":"1"}"#, "no such volume"),
        // Issue 11: option values that reach a helper's argv, a config file or a path.
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"size":"64M","mkfsOptions":"-d etc"}}"#, "found '-d'"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"size":"64M","mountOptions":"X-mount.subdir=lost+found"}}"#, "found 'X-mount.subdir'"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"type":"iscsi","portal":"127.0.0.1:3260","iqn":"iqn.2026-11.io.example:x","iface":"../../../etc/passwd"}}"#, "option 'iface'"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"type":"iscsi","portal":"127.0.0.1:3260","iqn":"iqn.2026-11.io.example:x","initiatorName":"iqn.2026-11.io.example:n\nx"}}"#, "option 'initiatorName'"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"type":"nfs","device":":/e","o":"addr=127.0.0.1,clientaddr=10.9.9.9"}}"#, "found 'clientaddr'"),
        ("/VolumeDriver.Create", #"{"Name":"x","Opts":{"type":"xfs","device":"/dev/sdz9","o":"logdev=/dev/sda"}}"#, "found 'logdev'"),
    ]

    @Test func badInputGetsAClearErrAndHarmsNothing() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"keep","Opts":{"size":"16M"}}"#).err == "")
        #expect(try client.call("/VolumeDriver.Mount", body: #"{"Name":"keep","ID":"c1"}"#).err == "")
        try "safe".write(toFile: root.stateDir + "/mounts/keep/f", atomically: false, encoding: .utf8)

        for (path, body, expected) in Self.bad {
            let reply = try client.call(path, body: body)
            #expect(reply.err?.contains(expected) == true, "\(path) \(body.prefix(60)): \(reply.status) \(reply.body)")
        }
        let huge = try client.call("/VolumeDriver.Create", rawBody: Array(repeating: UInt8(ascii: "x"), count: 2 << 20))
        #expect(huge.status == 413)
        #expect(huge.err?.contains("larger than") == true)

        // Nothing crashed, nothing changed.
        #expect(moord.process?.isRunning == true)
        let list = try client.call("/VolumeDriver.List", body: "{}")
        #expect(list.json?["Volumes"] == .array([.object(["Name": .string("keep"), "Mountpoint": .string(root.stateDir + "/mounts/keep"),
                                                          "CreatedAt": list.json!["Volumes"]!.array![0].object!["CreatedAt"]!])]))
        #expect(try String(contentsOfFile: root.stateDir + "/mounts/keep/f", encoding: .utf8) == "safe")
        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"keep","ID":"c1"}"#).err == "")
    }

    @Test func socketIsRootOnlyAndASecondMoordIsRefused() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        var info = stat()
        #expect(stat(moord.socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let second = Process()
        second.executableURL = URL(fileURLWithPath: Moord.binary)
        second.arguments = ["--name", moord.name, "--state-dir", root.stateDir + "-other"]
        second.standardError = FileHandle.nullDevice
        second.standardOutput = FileHandle.nullDevice
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus != 0)
        #expect(try moord.client.call("/Plugin.Activate", body: "").status == 200, "the first one still serves")
        #expect(moord.stop(), "SIGTERM stops moord")
        #expect(!FileManager.default.fileExists(atPath: moord.socket), "SIGTERM removes the socket")
    }
}
