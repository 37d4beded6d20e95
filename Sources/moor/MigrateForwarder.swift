#if canImport(Glibc)
import Glibc
#endif
import MoorCore

/// `moor migrate ...` runs `moor-migrate ...`: the translations read and
/// write YAML through Yams, which needs all of Foundation, and linking that
/// into `moor` would slow every kubelet call. Looked for next to this binary
/// first, then on PATH.
enum MigrateForwarder {
    static let program = "moor-migrate"

    static func exec(_ arguments: [String]) -> Never {
        for candidate in candidates() where access(candidate, X_OK) == 0 {
            let argv = [candidate] + arguments
            var pointers = argv.map { strdup($0) } + [nil]
            execv(candidate, &pointers)
        }
        let message = "moor migrate needs the \(program) binary next to moor or on PATH (swift build -c release --product \(program)); it is kept apart so that YAML support does not slow the FlexVolume driver\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }

    static func candidates() -> [String] {
        var paths: [String] = []
        if let exe = try? Sys.realpath("/proc/self/exe"), let slash = exe.lastIndex(of: "/") {
            paths.append(String(exe[..<slash]) + "/" + program)
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        paths += path.split(separator: ":").map { "\($0)/\(program)" }
        return paths
    }
}
