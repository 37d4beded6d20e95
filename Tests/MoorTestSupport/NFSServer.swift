import Foundation

/// nfs-ganesha (userspace NFS server) with rpcbind, inside a network
/// namespace of its own so it neither needs nor disturbs the machine's
/// ports 111 and 2049. Started once per test process and stopped at exit.
/// Clients reach it by entering the namespace (`nsenter --net`), which
/// changes nothing else: the mount namespace stays the caller's.
public final class NFSServer: @unchecked Sendable {
    public let namespace: String
    public let root: String
    /// The directory ganesha exports: as NFSv3 path `exportDir`, as NFSv4 pseudo path `/export1`.
    public let exportDir: String
    public static let pseudoPath = "/export1"

    public static let shared: Result<NFSServer, any Error> = Result { try NFSServer() }
    public static func get() throws -> NFSServer { try shared.get() }

    init() throws {
        let id = getpid() % 100_000
        namespace = "moor-nfs-\(id)"
        var template = Array("/tmp/moor-nfs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        root = String(cString: made)
        exportDir = root + "/export"
        try FileManager.default.createDirectory(atPath: exportDir, withIntermediateDirectories: true)
        let ip = "/usr/sbin/ip"
        try Shell.run(ip, ["netns", "add", namespace])
        let ns = namespace, dir = root
        AtExit.register {
            // Everything in the namespace is ours: rpcbind, ganesha.
            let pids = (try? Shell.run("/usr/sbin/ip", ["netns", "pids", ns])) ?? ""
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGTERM) }
            usleep(300_000)
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            _ = try? Shell.run("/usr/sbin/ip", ["netns", "delete", ns])
            try? FileManager.default.removeItem(atPath: dir)
        }
        try Shell.run(ip, ["-n", namespace, "link", "set", "lo", "up"])
        // glibc's getaddrinfo(AI_ADDRCONFIG) finds no IPv4 with loopback alone,
        // and rpcbind and ganesha then fail: give the namespace one more
        // interface with a loopback-range address.
        let (outer, inner) = ("mn\(id)a", "mn\(id)b")
        try Shell.run(ip, ["link", "add", outer, "type", "veth", "peer", "name", inner])
        try Shell.run(ip, ["link", "set", inner, "netns", namespace])
        try Shell.run(ip, ["-n", namespace, "addr", "add", "127.0.0.2/8", "dev", inner])
        try Shell.run(ip, ["-n", namespace, "link", "set", inner, "up"])
        let config = """
            NFS_CORE_PARAM { Protocols = 3, 4; NFS_Port = 2049; MNT_Port = 20048; Enable_NLM = false; Enable_RQUOTA = false; }
            NFSV4 { Graceless = true; }
            EXPORT { Export_Id = 1; Path = \(exportDir); Pseudo = \(Self.pseudoPath); Access_Type = RW; Squash = No_Root_Squash;
                     Protocols = 3, 4; Transports = TCP; SecType = sys; FSAL { Name = VFS; } }
            """
        try config.write(toFile: root + "/ganesha.conf", atomically: true, encoding: .utf8)
        try background(["/usr/sbin/rpcbind", "-w", "-f"], pidFile: root + "/rpcbind.pid")
        usleep(300_000)
        try background(["/usr/bin/ganesha.nfsd", "-F", "-f", root + "/ganesha.conf", "-L", root + "/ganesha.log",
                        "-p", root + "/ganesha.pid.ganesha", "-N", "NIV_WARN"], pidFile: root + "/ganesha.pid")
        for _ in 0..<100 {
            if (try? Shell.run("/usr/bin/nsenter", ["--net=/run/netns/" + namespace, "/usr/bin/nfs-ls", "nfs://127.0.0.1" + exportDir])) != nil { return }
            usleep(100_000)
        }
        // rpcbind's socket and lock live in /run, shared by every namespace:
        // another rpcbind on the machine makes ours exit.
        let rpcbind = (try? String(contentsOfFile: root + "/rpcbind.out", encoding: .utf8)) ?? ""
        throw Shell.Failure(description: "ganesha did not serve within 10 s; see \(root)/ganesha.log; rpcbind said: \(rpcbind)")
    }

    private func background(_ argv: [String], pidFile: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        process.arguments = ["--net=/run/netns/" + namespace] + argv
        let log = root + "/" + URL(fileURLWithPath: argv[0]).lastPathComponent + ".out"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try String(process.processIdentifier).write(toFile: pidFile, atomically: true, encoding: .utf8)
    }

    /// Argv prefix that runs a command inside the server's network namespace.
    public var enter: [String] { ["/usr/bin/nsenter", "--net=/run/netns/" + namespace] }
}
