/// An NFS export, mounted once per `server:share` and bind-mounted (or a
/// `subdir` of it) into consumers.
public struct NFSSpec: Hashable, Sendable {
    public static let keys = ["type", "server", "share", "subdir", "createSubdir", "version", "onRemove",
                              "mountOptions", "readOnly", "uid", "gid", "mode", "timeout"]
    public static let versions = ["3", "4", "4.0", "4.1", "4.2"]

    /// What removing a named volume (`docker volume rm`) does with its subdirectory.
    public enum OnRemove: String, Hashable, Sendable, CaseIterable {
        /// Leave it on the server (the default: never lose data).
        case keep
        /// Rename it to `archived-<subdir>-<UTC time>`, as nfs-subdir-external-provisioner does.
        case archive
        /// Delete it and everything in it.
        case delete
    }

    public var server: String
    public var share: String
    public var subdir: String?
    public var createSubdir: Bool
    public var version: String?
    public var onRemove: OnRemove

    init(_ reader: inout OptionReader) throws(OptionError) {
        server = try reader.required("server")
        guard HostName.isValid(server) else {
            throw reader.error("server", .malformed(expected: "a host name or IP address"))
        }
        guard let share = try reader.absolutePath("share") else { throw reader.error("share", .missing) }
        self.share = share
        if let subdir = reader.string("subdir") {
            guard PathCheck.isCleanAbsolute("/" + subdir) else {
                throw reader.error("subdir", .malformed(expected: "a relative path inside the share, without '..'"))
            }
            self.subdir = subdir
        }
        createSubdir = try reader.bool("createSubdir")
        if createSubdir && subdir == nil { throw reader.error("createSubdir", .conflict("it needs 'subdir'")) }
        version = reader.string("version")
        if let version, !Self.versions.contains(version) {
            throw reader.error("version", .malformed(expected: "one of \(Self.versions.joined(separator: ", "))"))
        }
        let onRemoveText = reader.string("onRemove") ?? OnRemove.keep.rawValue
        guard let onRemove = OnRemove(rawValue: onRemoveText) else {
            throw reader.error("onRemove", .malformed(expected: "keep, archive or delete"))
        }
        if onRemove != .keep && subdir == nil {
            throw reader.error("onRemove", .conflict("archive and delete act on a 'subdir', never on a whole share"))
        }
        self.onRemove = onRemove
    }
}

/// Host names and addresses as they may appear in `server` and `portal`.
public enum HostName {
    public static func isValid(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253, !host.hasPrefix("-"), !host.hasPrefix(".") else { return false }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            let inner = host.dropFirst().dropLast()
            return inner.contains(":") && inner.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        guard host.contains(where: { $0.isLetter || $0.isNumber }) else { return false }
        return host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":") }
    }
}
