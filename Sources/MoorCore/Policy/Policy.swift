#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// The node admin's limits on what volume definitions may touch, from
/// `/etc/moor/policy.json` (or `MOOR_POLICY`). Anyone who may run
/// `docker volume create` must not be able to format `/dev/sda`.
///
///     {"allowedDevices": ["/dev/disk/by-id/nvme-*"], "allowedFuseHelpers": ["sshfs", "rclone"],
///      "fuseHelperOptions": {"rclone": ["vfs-cache-mode=*", "allow-non-empty"]}, "maxTimeout": 60}
///
/// Values are arrays of strings, except `fuseHelperOptions` (an object of
/// arrays of strings) and `maxTimeout` (a number). A missing file means the
/// defaults below. A malformed file, or one with an unknown key, is an
/// error: never "allow all".
public struct Policy: Sendable, Equatable {
    /// Glob patterns (fnmatch, `*` does not cross `/`) for `disk` devices. Default: none.
    public var allowedDevices: [String] = []
    /// FUSE helpers that may run. Default: sshfs.
    public var allowedFuseHelpers: [String] = ["sshfs"]
    /// Glob patterns for the host directory trees `bind` volumes may use
    /// (a match allows the directory and everything below it). Default: none.
    public var allowedHostPaths: [String] = []
    /// Glob patterns of node-local sparse disk names that any owner may use
    /// (every Kubernetes namespace, and Docker): the migration path from
    /// Docker to Kubernetes. Default: none, so a disk belongs to the owner
    /// that first staged it.
    public var sharedDisks: [String] = []
    /// Glob patterns for the files `sshKeyFile` and `sshPasswordFile` may
    /// name (they must also be root's, mode 0600). Default: none.
    public var allowedCredentialFiles: [String] = []
    /// Per FUSE helper other than sshfs, the mount options it may be given:
    /// `name` (a flag) or `name=<glob>` (fnmatch on the value, `*` not
    /// crossing `/`). Default: none, so such helpers get no options.
    public var fuseHelperOptions: [String: [String]] = [:]
    /// The most seconds a volume's `timeout` may ask for; larger ones are
    /// cut to it. Default: 120.
    public var maxTimeout: Int = 120

    /// Where it was read from, for messages.
    public var path: String = Policy.defaultPath

    public static let defaultPath = "/etc/moor/policy.json"
    static let keys = ["allowedDevices", "allowedFuseHelpers", "allowedHostPaths", "allowedCredentialFiles",
                       "fuseHelperOptions", "maxTimeout", "sharedDisks"]
    static let timeoutRange = 1...3600

    public init(path: String = Policy.defaultPath) { self.path = path }

    /// `MOOR_POLICY`, or the default path.
    public static var pathFromEnvironment: String {
        getenv("MOOR_POLICY").map { String(cString: $0) } ?? defaultPath
    }

    /// Loads `MOOR_POLICY` or the default path.
    public static func load(path: String) throws -> Policy {
        guard let bytes = try Sys.readFileIfPresent(path, limit: 1 << 20) else { return Policy(path: path) }
        return try parse(bytes, path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> Policy {
        func invalid(_ detail: String) -> MoorError {
            MoorError(.invalidOption, "policy \(path) is not valid: \(detail) (keys: \(keys.joined(separator: ", ")))")
        }
        let object: [String: Value]
        do {
            object = try JSONDecoder().decode([String: Value].self, from: Data(bytes))
        } catch {
            throw invalid("expected a JSON object whose values are arrays of strings, an object of them (fuseHelperOptions) or a number (maxTimeout)")
        }
        var policy = Policy(path: path)
        for (key, value) in object {
            switch (key, value) {
            case ("allowedDevices", .strings(let list)): policy.allowedDevices = list
            case ("allowedFuseHelpers", .strings(let list)): policy.allowedFuseHelpers = list
            case ("allowedHostPaths", .strings(let list)): policy.allowedHostPaths = list
            case ("allowedCredentialFiles", .strings(let list)): policy.allowedCredentialFiles = list
            case ("sharedDisks", .strings(let list)): policy.sharedDisks = list
            case ("fuseHelperOptions", .table(let table)): policy.fuseHelperOptions = table
            case ("fuseHelperOptions", .strings(let list)) where list.isEmpty: policy.fuseHelperOptions = [:]
            case ("maxTimeout", .number(let seconds)) where timeoutRange.contains(seconds): policy.maxTimeout = seconds
            case ("maxTimeout", _):
                throw invalid("maxTimeout must be a whole number of seconds from \(timeoutRange.lowerBound) to \(timeoutRange.upperBound)")
            case ("fuseHelperOptions", _):
                throw invalid("fuseHelperOptions must be an object mapping a helper to an array of strings")
            case _ where keys.contains(key):
                throw invalid("\(key) must be an array of strings")
            default:
                throw MoorError(.invalidOption, "policy \(path): unknown key '\(OptionError.printable(key))' (allowed: \(keys.joined(separator: ", ")))")
            }
        }
        return policy
    }

    /// Whether the sparse disk `name` may be used by owners other than its own.
    public func sharesDisk(_ name: String) -> Bool {
        sharedDisks.contains { Sys.globMatches($0, name) }
    }

    /// One value of the policy object, in the shapes its keys take.
    enum Value: Decodable {
        case strings([String])
        case table([String: [String]])
        case number(Int)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([String].self) {
                self = .strings(list)
            } else if let table = try? container.decode([String: [String]].self) {
                self = .table(table)
            } else {
                self = .number(try container.decode(Int.self))
            }
        }
    }

    /// Whether `sshKeyFile`/`sshPasswordFile` may name `path`.
    public func allowsCredentialFile(_ path: String) -> Bool {
        allowedCredentialFiles.contains { Sys.globMatches($0, path) }
    }

    /// The `mountOptions` patterns the policy lists for FUSE `helper`.
    public func fuseOptionPatterns(for helper: String) -> [String] { fuseHelperOptions[helper] ?? [] }

    /// `timeout`, cut to `maxTimeout`.
    public func cappedTimeout(_ timeout: Duration) -> Duration { min(timeout, .seconds(maxTimeout)) }

    public func allowsDevice(_ path: String) -> Bool {
        allowedDevices.contains { Sys.globMatches($0, path) }
    }

    /// Whether `path` is inside an allowed host tree: `path` itself or one
    /// of its ancestors matches an `allowedHostPaths` pattern (fnmatch with
    /// FNM_PATHNAME, so `/srv/*` allows `/srv/a` and `/srv/a/b`, not `/srv`).
    /// Lexical only: `path` must be clean and absolute, and the caller must
    /// not follow symlinks in it (BindBackend refuses them).
    public func allowsHostPath(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let patterns = allowedHostPaths.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        var treeRoots = ["/"], current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            treeRoots.append(current)
        }
        return treeRoots.contains { root in patterns.contains { Sys.globMatches($0, root) } }
    }
}
