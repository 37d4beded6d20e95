import ArgumentParser
import MoorDoctor

#if canImport(Glibc)
import Glibc
#endif

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this node for what each volume type needs, with one fix per problem."
    )

    @Flag(help: "Print the findings as JSON.")
    var json = false

    func run() throws {
        let report = Doctor.examine(Doctor.Settings())
        print(json ? report.json : report.text)
        if report.hasProblems { throw ExitCode(1) }
    }
}
