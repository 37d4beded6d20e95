/// A credential (CHAP secret, ssh key, password). It prints as `<redacted>`
/// everywhere, including `dump` and string interpolation, so it cannot leak
/// into logs, errors or Docker's `Status` by accident.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The only way to read the value: call it where argv, a node record or a
    /// root-only credential file is written, and nowhere else.
    public func withValue<T>(_ body: (String) throws -> T) rethrows -> T { try body(value) }

    /// Credentials as one string for a keyed digest (`StagingKey`), which
    /// is the only place it may go: two consumers share a staging mount only
    /// when they present the same credentials. Absent and empty differ.
    public static func identity(_ credentials: [Secret?]) -> String {
        credentials.map { $0.map { secret in secret.withValue { "+" + $0 } } ?? "-" }.joined(separator: "\u{0}")
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
