#if canImport(Glibc)
import Glibc
#endif
import MoorCore

/// Small read-only facts about this node and process.
enum NodeFacts {
    /// uname(2)'s release, as `uname -r` prints it.
    static func kernelRelease() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        var release = name.release
        let size = MemoryLayout.size(ofValue: release)
        return withUnsafePointer(to: &release) {
            $0.withMemoryRebound(to: CChar.self, capacity: size) { String(cString: $0) }
        }
    }

    /// This process's mount table; empty if /proc is not mounted.
    static func mountTable() -> MountTable {
        MountTable(parsing: (try? Sys.readText("/proc/self/mountinfo")) ?? "")
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    static func exists(_ path: String) -> Bool { (try? Sys.lstat(path)) != nil }

    static func isDirectory(_ path: String) -> Bool { (try? Sys.stat(path)).map(Sys.isDirectory) ?? false }

    /// Whether systemd is PID 1 (it creates this directory at boot).
    static var systemdIsInit: Bool { isDirectory("/run/systemd/system") }

    /// The binary this process runs, resolved.
    static func ownExecutable() -> String? { try? Sys.realpath("/proc/self/exe") }
}
