import Testing
@testable import MoorCore

@Suite struct OptionErrorTests {
    @Test(arguments: [
        (OptionError.Problem.unknown(allowed: ["a", "b"]), "nfs: unknown option 'k' (allowed: a, b)"),
        (.missing, "nfs: missing required option 'k'"),
        (.malformed(expected: "a number"), "nfs: option 'k' is malformed: expected a number"),
        (.conflict("it needs 'x'"), "nfs: option 'k' conflicts: it needs 'x'"),
    ])
    func userMessageNamesScopeAndKey(problem: OptionError.Problem, message: String) {
        let error = OptionError(scope: "nfs", key: "k", problem: problem)
        #expect(error.userMessage == message)
        #expect(error.description == message)
    }

    @Test func printableReplacesControlCharacters() {
        #expect(OptionError.printable("a\nb\tc\u{7f}d\u{1b}[31m") == "a?b?c?d?[31m")
    }

    @Test func printableTruncatesLongKeys() {
        let long = String(repeating: "k", count: 100)
        #expect(OptionError.printable(long) == String(repeating: "k", count: 64) + "...")
        #expect(OptionError.printable(String(repeating: "k", count: 64)) == String(repeating: "k", count: 64))
    }
}
