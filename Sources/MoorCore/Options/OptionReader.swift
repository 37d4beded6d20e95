/// Reads a volume's string options for one volume type. Every key a spec
/// reads must be declared in `allowed`; `finish()` then rejects any key the
/// user gave that nobody read, naming it and listing what is allowed.
public struct OptionReader: Sendable {
    public let scope: String
    public let allowed: [String]
    private let values: [String: String]
    private let secrets: [String: Secret]
    private var consumed: Set<String> = []
    private var consumedSecrets: Set<String> = []

    public init(scope: String, allowed: [String], values: [String: String], secrets: [String: Secret] = [:]) {
        self.scope = scope
        self.allowed = allowed
        self.values = values
        self.secrets = secrets
    }

    private mutating func take(_ key: String) -> String? {
        precondition(allowed.contains(key), "option '\(key)' read but not declared for \(scope)")
        consumed.insert(key)
        return values[key]
    }

    func error(_ key: String, _ problem: OptionError.Problem) -> OptionError {
        OptionError(scope: scope, key: key, problem: problem)
    }

    /// The value, or nil when absent. An empty string counts as absent, the
    /// way kubelet sends `kubernetes.io/fsType: ""`.
    public mutating func string(_ key: String) -> String? {
        guard let value = take(key), !value.isEmpty else { return nil }
        return value
    }

    public mutating func required(_ key: String) throws(OptionError) -> String {
        guard let value = string(key) else { throw error(key, .missing) }
        return value
    }

    /// `true`/`false` (also `yes`/`no`, `1`/`0`, any case).
    public mutating func bool(_ key: String, default fallback: Bool = false) throws(OptionError) -> Bool {
        guard let value = string(key) else { return fallback }
        switch value.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw error(key, .malformed(expected: "true or false"))
        }
    }

    public mutating func integer(_ key: String, in range: ClosedRange<UInt64>) throws(OptionError) -> UInt64? {
        guard let value = string(key) else { return nil }
        guard value.count <= 20, value.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt64(value),
              range.contains(number) else {
            throw error(key, .malformed(expected: "a whole number from \(range.lowerBound) to \(range.upperBound)"))
        }
        return number
    }

    /// A size such as `64M`, `10Gi` or `1073741824`, within `ByteSize`'s bounds.
    public mutating func size(_ key: String) throws(OptionError) -> UInt64? {
        guard let value = string(key) else { return nil }
        guard let bytes = ByteSize.parse(value), bytes >= ByteSize.minimum, bytes <= ByteSize.maximum else {
            throw error(key, .malformed(expected: "a size from 1M to 1P, such as 64M, 10G or 512Mi"))
        }
        return bytes
    }

    /// An absolute path with no `..`, `.` or empty components, no control characters.
    public mutating func absolutePath(_ key: String) throws(OptionError) -> String? {
        guard let value = string(key) else { return nil }
        guard PathCheck.isCleanAbsolute(value) else {
            throw error(key, .malformed(expected: "an absolute path without '..', '.' or '//' components"))
        }
        return value
    }

    public mutating func mountOptions(_ key: String) throws(OptionError) -> MountOptionList {
        guard let value = string(key) else { return MountOptionList() }
        switch MountOptionList.parse(value) {
        case .success(let list): return list
        case .failure(let why): throw error(key, .malformed(expected: "comma-separated mount options; found \(why.reason)"))
        }
    }

    /// A credential: from the secret map (FlexVolume's `kubernetes.io/secret/*`) or the plain options.
    public mutating func secret(_ key: String) -> Secret? {
        consumedSecrets.insert(key)
        if let plain = take(key), !plain.isEmpty { return Secret(plain) }
        return secrets[key]
    }

    /// Throws for the first key (in sorted order) that no reader consumed.
    public func finish() throws(OptionError) {
        // A secret only counts as read where a credential was read: a secret
        // named `server` must not pass silently as if it set the server.
        let stray = Set(values.keys).subtracting(consumed).union(Set(secrets.keys).subtracting(consumedSecrets))
        if let first = stray.sorted().first {
            throw error(first, .unknown(allowed: allowed))
        }
    }
}

/// Lexical path checks that need no file system access.
public enum PathCheck {
    public static func isCleanAbsolute(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path.utf8.count < 4096 else { return false }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return false }
        if path == "/" { return true }
        let components = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        return !components.contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }
}
