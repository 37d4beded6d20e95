import ArgumentParser
import MoorMigrate

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate legacy Docker and Kubernetes volume definitions into moor ones.",
        subcommands: []
    )
}
