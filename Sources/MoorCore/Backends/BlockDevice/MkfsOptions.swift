/// `mkfsOptions`, checked against an allow-list per file system: the sizing
/// and feature flags only, never one that takes a path, reads a file or a
/// directory (`mke2fs -d` copies a host tree into the new file system),
/// or that moor sets itself (`-F`, `-f`). Tokens are split on spaces; a
/// flag that takes a value takes the next token (`-E a=1,b=2`), and
/// anything else, such as a stray device path, is refused.
public enum MkfsOptions {
    /// What a flag takes.
    public enum Argument: Sendable {
        /// Nothing: `-q`.
        case none
        /// One value, by its grammar: `-b 4096`.
        case value(ValueRule)
        /// A comma-separated list of `name[=value]`, each on the table: `-E stride=16`.
        case subOptions(OptionAllowList)
    }

    public struct Flag: Sendable {
        public var name: String
        public var argument: Argument
    }

    /// The flags a file system's mkfs may be given, in the order listed to the user.
    public struct Table: Sendable {
        public var program: String
        public var flags: [Flag]

        init(_ program: String, _ flags: [(String, Argument)]) {
            self.program = program
            self.flags = flags.map { Flag(name: $0.0, argument: $0.1) }
        }

        /// `-b N`, `-E stride=N|...`, as listed in messages.
        public var summary: [String] {
            flags.map { flag in
                switch flag.argument {
                case .none: flag.name
                case .value(let rule): flag.name + " " + String(rule.summary.dropFirst())
                case .subOptions(let table): flag.name + " " + OptionAllowList.summary([table]).joined(separator: ",")
                }
            }
        }
    }

    static let zeroOne: ValueRule = .oneOf(["0", "1"])

    /// mke2fs(8) as mkfs.ext4.
    public static let ext4 = Table("mkfs.ext4", [
        ("-b", .value(.number)), ("-C", .value(.number)), ("-i", .value(.number)), ("-I", .value(.number)),
        ("-m", .value(.token(characters: "0123456789.", maxLength: 5))), ("-N", .value(.number)),
        ("-g", .value(.number)), ("-G", .value(.number)), ("-j", .none),
        ("-J", .subOptions(OptionAllowList("-J", [("size", .number)]))),
        ("-L", .value(.token(characters: ValueRule.letterDigits + "_.-", maxLength: 16))),
        ("-O", .value(.token(characters: ValueRule.lowerDigits + "_^,", maxLength: 256))),
        ("-E", .subOptions(OptionAllowList("-E", [
            ("lazy_itable_init", zeroOne), ("lazy_journal_init", zeroOne), ("stride", .number), ("stripe_width", .number),
            ("stripe-width", .number), ("nodiscard", .flag), ("discard", .flag), ("packed_meta_blocks", zeroOne),
            ("root_owner", .numberPair), ("num_backup_sb", .oneOf(["0", "1", "2"])), ("resize", .number),
        ]))),
        ("-T", .value(.token(characters: ValueRule.lowerDigits + "_,", maxLength: 64))),
        ("-U", .value(.token(characters: "0123456789abcdefABCDEF-", maxLength: 36))),
        ("-q", .none),
    ])

    /// mkfs.xfs(8): no `-p` protofile, no `file`, `name`, `logdev` or `rtdev`.
    public static let xfs = Table("mkfs.xfs", [
        ("-b", .subOptions(OptionAllowList("-b", [("size", .size)]))),
        ("-m", .subOptions(OptionAllowList("-m", [
            ("crc", zeroOne), ("finobt", zeroOne), ("reflink", zeroOne), ("bigtime", zeroOne), ("inobtcount", zeroOne),
        ]))),
        ("-i", .subOptions(OptionAllowList("-i", [("size", .size), ("maxpct", .number), ("align", zeroOne)]))),
        ("-d", .subOptions(OptionAllowList("-d", [("su", .size), ("sw", .number), ("agcount", .number), ("agsize", .size)]))),
        ("-l", .subOptions(OptionAllowList("-l", [("size", .size), ("version", .oneOf(["2"])), ("su", .size), ("lazy-count", zeroOne)]))),
        ("-n", .subOptions(OptionAllowList("-n", [("size", .size), ("ftype", .oneOf(["1"]))]))),
        ("-L", .value(.token(characters: ValueRule.letterDigits + "_.-", maxLength: 12))),
        ("-q", .none), ("-K", .none),
    ])

    /// The table for `fsType`; nil is ext4, the file system moor formats by default.
    public static func table(for fsType: String?) -> Table {
        (fsType ?? DiskSpec.defaultFileSystem) == "xfs" ? xfs : ext4
    }

    /// Splits `text` on spaces and checks every token against the table
    /// for `fsType`; an error names the flag (or sub-option), never a value.
    static func parse(_ text: String?, fsType: String?, _ reader: OptionReader) throws(OptionError) -> [String] {
        guard let text else { return [] }
        let table = table(for: fsType)
        let tokens = text.split(separator: " ").map(String.init)
        func refuse(_ found: String) -> OptionError {
            reader.error("mkfsOptions", .malformed(expected:
                "only the \(table.program) flags moor allows, as space-separated tokens (found \(found); allowed: \(table.summary.joined(separator: ", ")))"))
        }
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            guard let flag = table.flags.first(where: { $0.name == token }) else {
                // A flag is named, anything else (a path, a positional) is just "a value".
                let named = token.hasPrefix("-") && token.count <= 16 && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                throw refuse(named ? "'\(token)'" : "a value where a flag was expected")
            }
            index += 1
            switch flag.argument {
            case .none: continue
            case .value(let rule):
                guard index < tokens.count, rule.accepts(tokens[index]) else { throw refuse("'\(flag.name)' with a value that is not allowed") }
            case .subOptions(let subTable):
                guard index < tokens.count else { throw refuse("'\(flag.name)' without its options") }
                let parts = tokens[index].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if parts.contains(where: \.isEmpty) { throw refuse("'\(flag.name)' with an empty option") }
                if let refusal = OptionAllowList.firstRefusal(of: parts, by: [subTable]) {
                    throw refuse("'\(flag.name)' option \(OptionAllowList.describe(refusal, mountOption: false))")
                }
            }
            index += 1
        }
        return tokens
    }
}
