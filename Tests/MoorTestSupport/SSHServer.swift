import Foundation

/// A real OpenSSH server on 127.0.0.1 for one test: its own host key,
/// port, authorized key and exported directory. Root logs in with the
/// client key; nothing else is accepted.
public final class SSHServer: @unchecked Sendable {
    public let root: String
    public let port: Int
    public let exportDir: String
    /// The private key the server accepts.
    public let clientKey: String
    /// A private key the server does not accept.
    public let wrongKey: String
    private var pid: Int32 = 0

    public init(in root: TempRoot) throws {
        self.root = root.path + "/sshd"
        exportDir = self.root + "/export"
        clientKey = self.root + "/client_key"
        wrongKey = self.root + "/wrong_key"
        try FileManager.default.createDirectory(atPath: exportDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for key in [self.root + "/host_key", clientKey, wrongKey] {
            try Shell.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        }
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: self.root + "/authorized_keys")
        var port = 0
        for _ in 0..<20 {
            let candidate = Int.random(in: 20_000...40_000)
            let config = """
                Port \(candidate)
                ListenAddress 127.0.0.1
                HostKey \(self.root)/host_key
                PidFile \(self.root)/sshd.pid
                AuthorizedKeysFile \(self.root)/authorized_keys
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                StrictModes no
                UsePAM no
                Subsystem sftp internal-sftp
                """
            try config.write(toFile: self.root + "/sshd_config", atomically: true, encoding: .utf8)
            if (try? Shell.run("/usr/sbin/sshd", ["-f", self.root + "/sshd_config", "-E", self.root + "/sshd.log"])) != nil {
                for _ in 0..<100 where !FileManager.default.fileExists(atPath: self.root + "/sshd.pid") { usleep(10_000) }
                if let text = try? String(contentsOfFile: self.root + "/sshd.pid", encoding: .utf8), let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    pid = value
                    port = candidate
                    break
                }
            }
        }
        guard port != 0 else { throw Shell.Failure(description: "sshd did not start; see \(self.root)/sshd.log") }
        self.port = port
        let pid = self.pid
        AtExit.register { kill(pid, SIGTERM) }
    }

    /// sshfs's `source` for the exported directory.
    public var source: String { "root@127.0.0.1:\(exportDir)" }

    public func stop() {
        if pid != 0 { kill(pid, SIGTERM); pid = 0 }
    }

    /// PIDs of processes whose argv names `path` (the sshfs daemon of a mount).
    public static func processes(naming path: String) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == path }
        }
    }
}
