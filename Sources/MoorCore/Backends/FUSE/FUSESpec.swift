/// A FUSE share (sshfs first; glusterfs, s3fs, rclone or any
/// `mount.fuse.<helper>`), mounted by `FUSEBackend`.
public struct FUSESpec: Hashable, Sendable {
    public static let keys = ["type", "helper", "source", "sshKey", "sshKeyFile", "sshPassword", "sshPasswordFile",
                              "mountOptions", "readOnly", "uid", "gid", "timeout"]

    public var helper: String
    public var source: String
    public var sshKey: Secret?
    public var sshKeyFile: String?
    public var sshPassword: Secret?
    public var sshPasswordFile: String?

    init(_ reader: inout OptionReader) throws(OptionError) {
        helper = try reader.required("helper")
        guard helper.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }),
              !helper.hasPrefix("-"), !helper.hasPrefix(".") else {
            throw reader.error("helper", .malformed(expected: "a helper name such as sshfs"))
        }
        source = try reader.required("source")
        if helper == "sshfs" {
            guard Self.isSSHSource(source) else {
                throw reader.error("source", .malformed(expected: "[user@]host:[path] for sshfs, such as alice@files.example:/data (user of A-Za-z0-9._-, a host name or [IPv6 address], a path without control characters; nothing starts with '-')"))
            }
        } else {
            guard Self.isHelperToken(source) else {
                throw reader.error("source", .malformed(expected: "a source of letters, digits and \(Self.tokenPunctuation) only, not starting with '-' (mount.fuse runs \(helper) through /bin/sh)"))
            }
        }
        sshKey = reader.secret("sshKey")
        sshKeyFile = try reader.absolutePath("sshKeyFile")
        sshPassword = reader.secret("sshPassword")
        sshPasswordFile = try reader.absolutePath("sshPasswordFile")
    }

    /// `[user@]host:[path]`: the user and host reach ssh's argv, the path sftp.
    static func isSSHSource(_ source: String) -> Bool {
        guard !source.hasPrefix("-"), source.utf8.count <= 4096,
              !source.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return false }
        var rest = Substring(source)
        if let at = rest.firstIndex(of: "@"), !rest[..<at].contains(":") {
            let user = rest[..<at]
            guard !user.isEmpty, !user.hasPrefix("-"), user.count <= 64,
                  user.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else { return false }
            rest = rest[rest.index(after: at)...]
        }
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return false }
            host = rest[...close]
            rest = rest[rest.index(after: close)...]
        } else {
            guard let colon = rest.firstIndex(of: ":") else { return false }
            host = rest[..<colon]
            rest = rest[colon...]
        }
        // A host with ':' outside brackets would be read as host:path by ssh.
        guard rest.hasPrefix(":"), host.hasPrefix("[") || !host.contains(":"), HostName.isValid(String(host)) else { return false }
        return !rest.dropFirst().hasPrefix("-")
    }

    static let tokenPunctuation = "._:/@=+,%-"

    /// A conservative token, safe inside the shell command mount.fuse builds.
    static func isHelperToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 4096 && !text.hasPrefix("-")
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || tokenPunctuation.contains($0)) }
    }

    /// Refuses any of `options` that no policy pattern for `helper` allows:
    /// `name` allows the flag `name`, `name=<glob>` allows `name=value` when
    /// the value matches (fnmatch, `*` not crossing `/`). Values must also
    /// be tokens (`isHelperToken`), whatever the glob says.
    public static func checkHelperOptions(_ options: MountOptionList, helper: String, patterns: [String]) throws(OptionError) {
        for option in options.options {
            let (name, value) = OptionAllowList.split(option)
            let allowed = (value.map(isHelperToken) ?? true) && patterns.contains { pattern in
                let (patternName, glob) = OptionAllowList.split(pattern)
                guard patternName == name else { return false }
                switch (glob, value) {
                case (nil, nil): return true
                case (let glob?, let value?): return Sys.globMatches(glob, value)
                default: return false
                }
            }
            if !allowed {
                let refusal = OptionAllowList.Refusal(name: OptionError.printable(name), badValue: patterns.contains { OptionAllowList.split($0).name == name })
                let listed = patterns.isEmpty ? "none" : patterns.joined(separator: ", ")
                throw OptionError(scope: "fuse", key: "mountOptions", problem: .malformed(
                    expected: "only the mount options the node's policy (fuseHelperOptions) allows for \(helper) (found \(OptionAllowList.describe(refusal)); allowed: \(listed))"))
            }
        }
    }
}
