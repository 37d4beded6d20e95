/// A volume option that could not be accepted. It names the key and says
/// what would have been allowed, so the user can fix the definition.
public struct OptionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// The key is not part of the vocabulary for this volume type.
        case unknown(allowed: [String])
        /// A required key is absent.
        case missing
        /// The value does not have the expected form.
        case malformed(expected: String)
        /// Two keys (or a key and a kubelet value) contradict each other.
        case conflict(String)
    }

    /// The volume type the option was read for (`disk`, `nfs`, ...), or `volume` for common keys.
    public var scope: String
    public var key: String
    public var problem: Problem

    public init(scope: String, key: String, problem: Problem) {
        self.scope = scope
        self.key = key
        self.problem = problem
    }

    /// A one-line message for a person. Never contains an option's value,
    /// since the value may be a secret.
    public var userMessage: String {
        switch problem {
        case .unknown(let allowed):
            return "\(scope): unknown option '\(Self.printable(key))' (allowed: \(allowed.joined(separator: ", ")))"
        case .missing:
            return "\(scope): missing required option '\(key)'"
        case .malformed(let expected):
            return "\(scope): option '\(key)' is malformed: expected \(expected)"
        case .conflict(let why):
            return "\(scope): option '\(key)' conflicts: \(why)"
        }
    }

    public var description: String { userMessage }

    /// Keys come from users: keep control characters out of messages and logs.
    public static func printable(_ key: String) -> String {
        let cleaned = key.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : String($0) }.joined()
        return cleaned.count > 64 ? String(cleaned.prefix(64)) + "..." : cleaned
    }
}
