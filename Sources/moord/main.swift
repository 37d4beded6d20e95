import ArgumentParser
import Dispatch
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
        subcommands: [Serve.self],
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
        let volumes = VolumeService(core: core, mountRoot: mountRoot, logger: logger)
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
        try channel.closeFuture.wait()
        _ = signals
    }
}
