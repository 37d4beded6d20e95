import Foundation
import MoorCore

/// A private directory tree for one test: state dir, pod dirs, log file,
/// policy file. `tearDown()` unmounts everything below it, detaches loop
/// devices backed by files below it, and removes it.
public final class TempRoot: @unchecked Sendable {
    public let path: String

    public init() throws {
        var template = Array("/tmp/moor-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    public var stateDir: String { path + "/state" }
    public var logFile: String { path + "/moor.log" }
    public var policyFile: String { path + "/policy.json" }
    public var stagingRoot: String { stateDir + "/staging" }

    /// Creates (like kubelet's MkdirAll 0750) and returns a pod volume dir.
    public func podDir(_ name: String) throws -> String {
        let dir = path + "/pods/" + name + "/volumes/moor~moor/vol"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    public func writePolicy(_ json: String) throws {
        try json.write(toFile: policyFile, atomically: true, encoding: .utf8)
    }

    /// The environment that points moor at this root.
    public var environment: [String: String] {
        ["MOOR_STATE_DIR": stateDir, "MOOR_LOG": logFile, "MOOR_POLICY": policyFile, "MOOR_LOG_LEVEL": "debug"]
    }

    public func mountTable() throws -> MountTable {
        // Not String(contentsOfFile:): it stops short on /proc files, which report size 0.
        MountTable(parsing: try Sys.readText("/proc/self/mountinfo"))
    }

    /// Staging mounts currently under this root's state dir.
    public func stagingMounts() throws -> [MountEntry] {
        try mountTable().mounts(under: stagingRoot).filter { $0.mountPoint != stagingRoot }
    }

    public func logText() -> String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    public func tearDown() {
        for _ in 0..<4 {
            let mounts = (try? mountTable().mounts(under: path)) ?? []
            if mounts.isEmpty { break }
            for entry in mounts.reversed() { _ = umount2(entry.mountPoint, Int32(MNT_DETACH)) }
        }
        for device in Loop.devices(under: path) { Loop.detach(device) }
        try? FileManager.default.removeItem(atPath: path)
    }
}
