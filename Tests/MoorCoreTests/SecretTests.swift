import Testing
@testable import MoorCore

@Suite struct SecretTests {
    static let value = "p4ssw0rd-do-not-print"

    @Test func everyTextualFormIsRedacted() {
        let secret = Secret(Self.value)
        var dumped = ""
        dump(secret, to: &dumped)
        let forms = [
            secret.description,
            secret.debugDescription,
            "\(secret)",
            String(describing: secret),
            String(reflecting: secret),
            dumped,
            "\([secret])",
            "\(["chapSecret": secret])",
            String(describing: Optional(secret)),
        ]
        for form in forms {
            #expect(form.contains("<redacted>"), "\(form)")
            #expect(!form.contains(Self.value), "a form of the secret leaked its value")
        }
        #expect(secret.description == "<redacted>")
        #expect("\(secret)" == "<redacted>")
    }

    @Test func mirrorHasNoChildren() {
        #expect(Mirror(reflecting: Secret(Self.value)).children.isEmpty)
    }

    @Test func specsHoldingSecretsDoNotPrintThem() throws {
        let definition = try VolumeDefinition.parse(
            ["type": "iscsi", "portal": "10.0.0.5:3260", "iqn": "iqn.2026-11.io.example:x", "chapUser": "alice"],
            secrets: ["chapSecret": Secret(Self.value)])
        var dumped = ""
        dump(definition, to: &dumped)
        #expect(!"\(definition)".contains(Self.value))
        #expect(!String(reflecting: definition).contains(Self.value))
        #expect(!dumped.contains(Self.value))
        #expect(dumped.contains("<redacted>"))
    }

    @Test func withValueIsTheWayToReadIt() {
        #expect(Secret(Self.value).withValue { $0 } == Self.value)
        #expect(Secret("a") == Secret("a"))
        #expect(Secret("a") != Secret("b"))
    }
}
