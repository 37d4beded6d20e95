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
        guard !source.hasPrefix("-"), !source.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw reader.error("source", .malformed(expected: "a source such as user@host:/path, not starting with '-'"))
        }
        sshKey = reader.secret("sshKey")
        sshKeyFile = try reader.absolutePath("sshKeyFile")
        sshPassword = reader.secret("sshPassword")
        sshPasswordFile = try reader.absolutePath("sshPasswordFile")
    }
}
