/// Something `moor migrate` could not carry over, or carried over with a
/// caveat. Nothing is dropped silently: every field left behind gets one.
public struct MigrationNote: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The whole volume was left untranslated.
        case notTranslated = "not translated"
        /// The volume was translated, but this field was dropped or changed meaning.
        case dropped = "dropped"
        /// Translated; something the user must do or know.
        case attention = "attention"
    }

    public var kind: Kind
    /// What it is about: `docker volume 'web'`, `document 2 (PersistentVolume 'pv1')`.
    public var subject: String
    /// The field, in the input's own terms (`Options.password`, `spec.nfs.path`), if one.
    public var field: String?
    public var message: String

    public init(_ kind: Kind, _ subject: String, field: String? = nil, _ message: String) {
        self.kind = kind
        self.subject = subject
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(subject)\(field.map { ": \($0)" } ?? ""): \(kind.rawValue): \(message)"
    }
}

/// Input that can't be read at all. It names where, so nothing half-read is
/// ever printed as if it were the whole answer.
public struct MigrationInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var subject: String
    public var field: String?
    public var message: String

    public init(_ subject: String, field: String? = nil, _ message: String) {
        self.subject = subject
        self.field = field
        self.message = message
    }

    public var description: String { "\(subject)\(field.map { ", field \($0)" } ?? ""): \(message)" }
}

/// What a migration produced: the text to print and the notes about it.
public struct MigrationResult: Sendable {
    public var output: String
    public var notes: [MigrationNote]
    public var untranslated: Int { notes.filter { $0.kind == .notTranslated }.count }
}
