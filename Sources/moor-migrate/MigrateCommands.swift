import ArgumentParser
import MoorCore
import MoorMigrate

#if canImport(Glibc)
import Glibc
#endif

/// `moor migrate`: moor execs this binary (found next to itself or on PATH),
/// so YAML's Foundation stays out of the FlexVolume driver.
@main
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moor migrate",
        abstract: "Translate legacy Docker and Kubernetes volume definitions into moor ones.",
        discussion: """
            Reads a file, or standard input without one. Writes the translation to standard output and,
            on standard error, one line for every field or volume it could not carry over.
            Exit status: 0 when everything was translated, 1 when something was left out (listed),
            2 when the input could not be read (nothing is printed then).
            """,
        subcommands: [MigrateDocker.self, MigrateKubernetes.self]
    )

    /// The whole input, from FILE or stdin.
    static func read(_ file: String?) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try Sys.readFile(file ?? "/dev/stdin", limit: 64 << 20)
        } catch {
            throw ValidationError("cannot read \(file ?? "standard input"): \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ValidationError("\(file ?? "standard input") is not UTF-8 text")
        }
        return text
    }

    static func finish(_ result: MigrationResult) throws {
        print(result.output, terminator: "")
        for note in result.notes { printError("moor migrate: \(note)") }
        if result.untranslated > 0 || result.notes.contains(where: { $0.kind == .dropped }) { throw ExitCode(1) }
    }

    static func fail(_ error: MigrationInputError) -> ExitCode {
        printError("moor migrate: \(error)")
        return ExitCode(2)
    }

    static func printError(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }
}

struct MigrateDocker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docker",
        abstract: "Docker volumes (`docker volume inspect` JSON) to `docker volume create -d moor` commands and PersistentVolumes."
    )

    @Argument(help: "`docker volume inspect` output; standard input if omitted.")
    var file: String?

    @Option(help: "What to print: commands, manifests or both.")
    var output: DockerOutput = .both

    @Option(help: "The moord plugin name for -d.")
    var driver = "moor"

    @Option(help: "Namespace of the Secrets that hold credentials.")
    var namespace = "default"

    @Option(help: "PersistentVolume capacity when the volume has no size.")
    var capacity = "10Gi"

    func run() throws {
        let text = try Migrate.read(file)
        var migration = DockerMigration()
        migration.namespace = namespace
        migration.defaultCapacity = capacity
        let volumes: [DockerVolumeInspect]
        do { volumes = try DockerVolumeInspect.parse(text) } catch { throw Migrate.fail(error) }
        try Migrate.finish(try migration.run(volumes, output: output, driverName: driver))
    }
}

extension DockerOutput: ExpressibleByArgument {}

struct MigrateKubernetes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubernetes",
        abstract: "PersistentVolumes and Pods: in-tree nfs, iscsi, hostPath and local (and known flexVolume drivers) to moor; or moor to CSI."
    )

    @Argument(help: "YAML or JSON manifests, several documents allowed; standard input if omitted.")
    var file: String?

    @Option(help: "moor: rewrite volumes as moor flexVolumes. csi: rewrite moor PersistentVolumes for nfs.csi.k8s.io and iscsi.csi.k8s.io.")
    var to: KubernetesTarget = .moor

    func run() throws {
        let text = try Migrate.read(file)
        let result: MigrationResult
        do { result = try KubernetesMigration(target: to).run(text) } catch { throw Migrate.fail(error) }
        try Migrate.finish(result)
    }
}

extension KubernetesTarget: ExpressibleByArgument {}
