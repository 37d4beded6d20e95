/// A comma-separated list of mount options, as users write them
/// (`noatime,discard`), checked for syntax only: no whitespace or control
/// characters (a newline would start a new line in `mount`'s view of the
/// world), no leading `-` (it would become a flag), no quotes or
/// backslashes. Which options may appear depends on the volume type, so
/// that is checked where the type is known, against `OptionAllowList`'s
/// tables (`check(against:what:_:)`).
public struct MountOptionList: Hashable, Sendable {
    public private(set) var options: [String]

    public init() { options = [] }

    /// Why a list was refused, in words for the user.
    public struct Rejection: Error, Sendable { public var reason: String }

    /// Parses `text`; on failure returns what was wrong with it.
    public static func parse(_ text: String) -> Result<MountOptionList, Rejection> {
        var list = MountOptionList()
        if text.isEmpty { return .success(list) }
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            let option = String(element)
            if option.isEmpty { return .failure(Rejection(reason: "an empty element (two commas in a row, or a trailing comma)")) }
            if option.hasPrefix("-") { return .failure(Rejection(reason: "an option starting with '-'")) }
            for scalar in option.unicodeScalars {
                if scalar.value <= 0x20 || scalar.value == 0x7f { return .failure(Rejection(reason: "whitespace or a control character (such as a newline)")) }
                if scalar == "\"" || scalar == "'" || scalar == "\\" { return .failure(Rejection(reason: "a quote or backslash")) }
                if !scalar.isASCII { return .failure(Rejection(reason: "a non-ASCII character")) }
            }
            list.options.append(option)
        }
        return .success(list)
    }

    public var isEmpty: Bool { options.isEmpty }
    public func contains(_ name: String) -> Bool { options.contains { $0 == name || $0.hasPrefix(name + "=") } }
    public mutating func append(_ option: String) { if !options.contains(option) { options.append(option) } }
    /// The list as one `-o` argument.
    public var joined: String { options.joined(separator: ",") }

    /// Refuses the first option no table in `tables` accepts, naming it
    /// (never its value) and listing what `what` (`nfs`, `sshfs`, ...) allows.
    func check(against tables: [OptionAllowList], what: String, _ reader: OptionReader) throws(OptionError) {
        guard let refusal = OptionAllowList.firstRefusal(of: options, by: tables) else { return }
        throw reader.error("mountOptions", .malformed(expected: Self.expected(refusal, what: what, allowed: OptionAllowList.summary(tables))))
    }

    /// The message part after "expected": what is allowed, and what was found.
    static func expected(_ refusal: OptionAllowList.Refusal, what: String, allowed: [String]) -> String {
        "only the mount options allowed for \(what) (found \(OptionAllowList.describe(refusal)); allowed: \(allowed.joined(separator: ", ")))"
    }
}
