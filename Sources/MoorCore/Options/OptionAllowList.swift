/// The form a listed option's value must have. Values reach a helper's
/// argv, a kernel data string or a config file, so each grammar is as
/// narrow as the option allows: nothing that could hold a path, a command
/// or a second option.
public enum ValueRule: Hashable, Sendable {
    /// No value: `hard`, not `hard=1`.
    case flag
    /// An unsigned decimal number (at most 10 digits).
    case number
    /// A flag, or one with an unsigned number (`init_itable`, `init_itable=10`).
    case optionalNumber
    /// An octal number such as `022` or `0077` (at most 4 digits).
    case octal
    /// A number with an optional `k`, `m` or `g` suffix (`256k`).
    case size
    /// Exactly one of these words.
    case oneOf([String])
    /// `N:N`, two unsigned numbers (`root_owner=1000:1000`).
    case numberPair
    /// A token of `characters` only, 1 to `maxLength` long, never starting with '-'.
    case token(characters: String, maxLength: Int)

    /// Whether `value` (nil: the option had no `=`) follows the rule.
    public func accepts(_ value: String?) -> Bool {
        switch self {
        case .flag: return value == nil
        case .number: return value.map(Self.isNumber) ?? false
        case .optionalNumber: return value.map(Self.isNumber) ?? true
        case .octal:
            guard let value, (1...4).contains(value.count) else { return false }
            return value.allSatisfy { ("0"..."7").contains($0) }
        case .size:
            guard var digits = value else { return false }
            if let last = digits.last, "kKmMgG".contains(last) { digits.removeLast() }
            return Self.isNumber(digits)
        case .oneOf(let words): return value.map(words.contains) ?? false
        case .numberPair:
            guard let parts = value?.split(separator: ":", omittingEmptySubsequences: false), parts.count == 2 else { return false }
            return parts.allSatisfy { Self.isNumber(String($0)) }
        case .token(let characters, let maxLength):
            guard let value, (1...maxLength).contains(value.count), !value.hasPrefix("-") else { return false }
            return value.allSatisfy { $0.isASCII && characters.contains($0) }
        }
    }

    static func isNumber(_ text: String) -> Bool {
        (1...10).contains(text.count) && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// How the value is written in an "allowed" list: `=N`, `=a|b`, ``.
    public var summary: String {
        switch self {
        case .flag: ""
        case .number: "=N"
        case .optionalNumber: "[=N]"
        case .octal: "=<octal>"
        case .size: "=N[k|m|g]"
        case .oneOf(let words): "=" + words.joined(separator: "|")
        case .numberPair: "=N:N"
        case .token(let characters, let maxLength): "=<\(Self.describe(characters)), up to \(maxLength)>"
        }
    }

    static func describe(_ characters: String) -> String {
        var parts: [String] = []
        var rest = Set(characters)
        for (range, name) in [("abcdefghijklmnopqrstuvwxyz", "a-z"), ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "A-Z"), ("0123456789", "0-9")]
            where Set(range).isSubset(of: rest) {
            parts.append(name)
            rest.subtract(range)
        }
        return parts.joined() + String(characters.filter(rest.contains))
    }

    /// Character sets for `token`.
    static let lowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789"
    static let letterDigits = lowerDigits + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
}

/// A table of the options one helper or file system may be given, each
/// with its value's grammar. Anything not listed is refused: the table is
/// an allow-list, never a deny-list. Names compare exactly, so a casing
/// that is not listed (ssh reads its options case-insensitively) is refused.
public struct OptionAllowList: Sendable {
    /// What the table is for, in messages: `nfs`, `ext4`, `sshfs`.
    public let name: String
    /// In the order they are listed to the user.
    public let rules: [(name: String, value: ValueRule)]

    public init(_ name: String, _ rules: [(String, ValueRule)]) {
        self.name = name
        self.rules = rules.map { (name: $0.0, value: $0.1) }
    }

    /// The same names, each a flag.
    public init(_ name: String, flags: [String]) { self.init(name, flags.map { ($0, ValueRule.flag) }) }

    /// Why an option was refused. Holds its name only: values may be secrets.
    public struct Refusal: Equatable, Sendable {
        public var name: String
        /// The name is listed, but not with this value (or lack of one).
        public var badValue: Bool
    }

    /// Splits `name=value`; the value is nil without `=`.
    static func split(_ option: String) -> (name: String, value: String?) {
        guard let equals = option.firstIndex(of: "=") else { return (option, nil) }
        return (String(option[..<equals]), String(option[option.index(after: equals)...]))
    }

    /// Nil when some table in `tables` accepts `option`.
    public static func refusal(of option: String, by tables: [OptionAllowList]) -> Refusal? {
        let (name, value) = split(option)
        let listed = tables.flatMap { $0.rules.filter { $0.name == name } }
        if listed.contains(where: { $0.value.accepts(value) }) { return nil }
        return Refusal(name: OptionError.printable(name), badValue: !listed.isEmpty)
    }

    /// The first of `options` no table accepts.
    public static func firstRefusal(of options: [String], by tables: [OptionAllowList]) -> Refusal? {
        for option in options {
            if let refusal = refusal(of: option, by: tables) { return refusal }
        }
        return nil
    }

    /// Every entry of `tables`, once, as `name=grammar`.
    public static func summary(_ tables: [OptionAllowList]) -> [String] {
        var seen = Set<String>(), result: [String] = []
        for rule in tables.flatMap(\.rules) where seen.insert(rule.name + rule.value.summary).inserted {
            result.append(rule.name + rule.value.summary)
        }
        return result
    }

    /// Names moor itself decides: saying so tells the user where to look.
    static let managedByMoor: Set<String> = [
        "bind", "rbind", "remount", "move", "loop", "offset", "sizelimit", "helper",
        "X-mount.mkdir", "X-mount.subdir", "make-shared", "make-rshared", "make-private",
        "make-rprivate", "make-slave", "make-rslave", "make-unbindable", "make-runbindable",
    ]

    /// The refused part for a message: `'name'`, and why. `mountOption`
    /// says whether `managedByMoor` applies.
    public static func describe(_ refusal: Refusal, mountOption: Bool = true) -> String {
        if refusal.badValue { return "'\(refusal.name)' with a value that is not allowed" }
        if mountOption, managedByMoor.contains(refusal.name) { return "'\(refusal.name)', which moor manages itself" }
        return "'\(refusal.name)'"
    }
}
