import ArgumentParser
import Dispatch
import FoundationEssentials
import Logging
import MoorCore
import MoorDocker

#if canImport(Glibc)
import Glibc
#endif

/// moord: the Docker volume plugin. `docker volume create -d moor` and
/// `docker run -v vol:/data --volume-driver moor` reach it over its socket.
@main
struct Moord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moord",
        abstract: "Docker volume plugin: NFS, iSCSI, local disks and FUSE shares for containers.",
        subcommands: [Serve.self, Reconcile.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the plugin protocol (the default).")

    @Option(help: "Plugin name: the socket is /run/docker/plugins/<name>.sock and volumes use -d <name>.")
    var name = "moor"

    @Option(help: "Socket path, overriding the one derived from --name.")
    var socket: String?

    @Option(help: "State directory (MOOR_STATE_DIR, default /var/lib/moor).")
    var stateDir: String?

    @Option(help: "Where volumes are mounted for containers (default <state-dir>/mounts).")
    var mountRoot: String?

    func validate() throws {
        guard VolumeName(name) != nil else { throw ValidationError("--name must be \(VolumeName.rule)") }
        for (flag, path) in [("--socket", socket), ("--state-dir", stateDir), ("--mount-root", mountRoot)] {
            if let path, !PathCheck.isCleanAbsolute(path) { throw ValidationError("\(flag) must be a clean absolute path") }
        }
    }

    func run() throws {
        if let stateDir { setenv("MOOR_STATE_DIR", stateDir, 1) }
        var handler = StreamLogHandler.standardError(label: "moord")
        handler.logLevel = getenv("MOOR_LOG_LEVEL").flatMap { Logger.Level(rawValue: String(cString: $0)) } ?? .info
        let configured = handler
        LoggingSystem.bootstrap { _ in configured }
        let logger = Logger(label: "moord")

        let core = try Core.fromEnvironment(logger: logger)
        let volumes = VolumeService(core: core, owner: "docker", mountRoot: mountRoot, logger: logger)
        let found = try volumes.load()
        logger.info("state loaded", metadata: ["volumes": "\(found.volumes)", "staleReferences": "\(found.staleReferences)",
                                               "releasedMounts": "\(found.releasedMounts)"])
        let server = DockerServer(socketPath: socket ?? "/run/docker/plugins/\(name).sock", volumes: volumes, logger: logger)
        let channel = try server.start()

        // SIGTERM and SIGINT close the socket; in-flight calls finish first.
        let numbers: [Int32] = [SIGTERM, SIGINT]
        let signals = numbers.map { (number: Int32) -> any DispatchSourceSignal in
            _ = Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.info("stopping", metadata: ["signal": "\(number)"])
                server.stop(channel)
                Glibc.exit(0)
            }
            source.resume()
            return source
        }
        // The signal sources must outlive the wait, or an optimised build
        // releases them and SIGTERM is ignored.
        try withExtendedLifetime(signals) { try channel.closeFuture.wait() }
    }
}

/// Releases references that dockerd will never Unmount (containers that
/// died while dockerd or the node was down): asks dockerd which volumes
/// running containers use, and tells moord to release every other one.
struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release volume references no running container holds (Unmounts dockerd never sent).")

    @Option(help: "Plugin name (the driver name containers use).")
    var name = "moor"

    @Option(help: "moord's socket, overriding the one derived from --name.")
    var socket: String?

    @Option(help: "dockerd's API socket.")
    var dockerSocket = "/var/run/docker.sock"

    struct Container: Decodable {
        struct Mount: Decodable { var Name: String?; var Driver: String? }
        var Mounts: [Mount]?
    }

    func run() throws {
        let containers = try UnixHTTPClient.request(socket: dockerSocket, method: .GET, path: "/containers/json")
        guard containers.status == 200 else {
            throw ValidationError("dockerd answered \(containers.status) to /containers/json; nothing was released")
        }
        let running = try JSONDecoder().decode([Container].self, from: Data(containers.body))
        let mounts: [Container.Mount] = running.flatMap { $0.Mounts ?? [] }
        // A managed plugin's driver name carries a tag (moor/moor:1.0).
        let ours = mounts.filter { $0.Driver == name || ($0.Driver ?? "").hasPrefix(name + ":") }
        let inUse: [String] = Set(ours.compactMap { $0.Name }).sorted()
        let body = try JSONEncoder().encode(["InUse": inUse])
        let reply = try UnixHTTPClient.request(socket: socket ?? "/run/docker/plugins/\(name).sock", method: .POST,
                                               path: "/Moor.Reconcile", body: Array(body))
        print(String(decoding: reply.body, as: UTF8.self))
        if reply.status != 200 { throw ExitCode.failure }
    }
}
