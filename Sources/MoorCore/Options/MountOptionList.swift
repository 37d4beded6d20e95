/// A comma-separated list of mount options, as users write them
/// (`noatime,discard`), checked so that no element can change what is
/// mounted or where: no whitespace or control characters (a newline would
/// start a new line in `mount`'s view of the world), no leading `-` (it
/// would become a flag), no quotes, and none of the options that turn a
/// mount into something else (`bind`, `remount`, `move`, ...).
public struct MountOptionList: Hashable, Sendable {
    public private(set) var options: [String]

    public init() { options = [] }

    static let forbidden: Set<String> = [
        "bind", "rbind", "remount", "move", "loop", "make-shared", "make-rshared", "make-private",
        "make-rprivate", "make-slave", "make-rslave", "make-unbindable", "make-runbindable",
        "X-mount.mkdir", "helper", "offset", "sizelimit",
    ]

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
            let name = option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option
            if forbidden.contains(name) { return .failure(Rejection(reason: "'\(name)', which moor manages itself")) }
            list.options.append(option)
        }
        return .success(list)
    }

    public var isEmpty: Bool { options.isEmpty }
    public func contains(_ name: String) -> Bool { options.contains { $0 == name || $0.hasPrefix(name + "=") } }
    public mutating func append(_ option: String) { if !options.contains(option) { options.append(option) } }
    /// The list as one `-o` argument.
    public var joined: String { options.joined(separator: ",") }
}
