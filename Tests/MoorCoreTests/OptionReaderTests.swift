import Testing
@testable import MoorCore

@Suite struct OptionReaderTests {
    static func reader(_ values: [String: String], secrets: [String: Secret] = [:]) -> OptionReader {
        OptionReader(scope: "test", allowed: ["a", "b", "n", "p", "s"], values: values, secrets: secrets)
    }

    @Test func emptyValueCountsAsAbsent() throws {
        var reader = Self.reader(["a": ""])
        #expect(reader.string("a") == nil)
        let error = #expect(throws: OptionError.self) { try reader.required("a") }
        #expect(error == OptionError(scope: "test", key: "a", problem: .missing))
        // Read, so not stray.
        try reader.finish()
    }

    @Test func finishReportsAKeyNobodyRead() throws {
        var reader = Self.reader(["a": "1", "b": "2"])
        _ = reader.string("a")
        let error = #expect(throws: OptionError.self) { try reader.finish() }
        #expect(error == OptionError(scope: "test", key: "b", problem: .unknown(allowed: ["a", "b", "n", "p", "s"])))
    }

    @Test func finishReportsAStraySecret() throws {
        let reader = Self.reader([:], secrets: ["token": Secret("t0k3n")])
        let error = #expect(throws: OptionError.self) { try reader.finish() }
        #expect(error?.key == "token")
        #expect(error.map { !$0.userMessage.contains("t0k3n") } == true)
    }

    @Test func integerChecksTheRange() throws {
        var reader = Self.reader(["n": "11"])
        let error = #expect(throws: OptionError.self) { try reader.integer("n", in: 1...10) }
        #expect(error?.problem == .malformed(expected: "a whole number from 1 to 10"))
        var ok = Self.reader(["n": "10"])
        #expect(try ok.integer("n", in: 1...10) == 10)
        var absent = Self.reader([:])
        #expect(try absent.integer("n", in: 1...10) == nil)
    }

    @Test func integerRejectsNonAsciiDigits() throws {
        var reader = Self.reader(["n": "١٢"])   // Arabic-Indic digits
        #expect(throws: OptionError.self) { try reader.integer("n", in: 0...100) }
    }

    @Test func boolUsesTheDefaultWhenAbsent() throws {
        var reader = Self.reader([:])
        #expect(try reader.bool("b", default: true) == true)
    }

    @Test func absolutePathIsReturnedWhenClean() throws {
        var reader = Self.reader(["p": "/srv/data"])
        #expect(try reader.absolutePath("p") == "/srv/data")
    }

    @Test func secretPrefersThePlainOption() throws {
        var plain = Self.reader(["s": "inline"], secrets: ["s": Secret("mapped")])
        #expect(plain.secret("s") == Secret("inline"))
        var mapped = Self.reader(["s": ""], secrets: ["s": Secret("mapped")])
        #expect(mapped.secret("s") == Secret("mapped"))
        try mapped.finish()
    }

    @Test(arguments: [
        ("/", true), ("/a", true), ("/a/b.c/d-e", true), ("/a/.hidden", true), ("/a/...", true),
        ("", false), ("a/b", false), ("/a/", false), ("//a", false), ("/a//b", false), ("/a/./b", false),
        ("/a/../b", false), ("/..", false), ("/a\nb", false), ("/a\u{7f}", false), ("/a\u{0}b", false),
        ("/" + String(repeating: "a", count: 4095), false),
    ])
    func pathCheckAcceptsOnlyCleanAbsolutePaths(path: String, clean: Bool) {
        #expect(PathCheck.isCleanAbsolute(path) == clean)
    }
}
