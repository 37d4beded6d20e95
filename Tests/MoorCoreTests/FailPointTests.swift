import Testing
@testable import MoorCore

/// `MOOR_FAILPOINT` values, parsed as the integration tests write them.
@Suite struct FailPointTests {
    @Test func parsesEachActionByPointName() {
        let actions = FailPoint.parse("loop.attached=kill, stage.mounted=sleep(20),bind.done=error")
        #expect(actions == ["loop.attached": .kill, "stage.mounted": .sleep(milliseconds: 20), "bind.done": .error])
    }

    @Test(arguments: ["sleep(x)", "sleep(", "kil", "sleep(-1)"])
    func aMalformedActionFailsRatherThanPassingSilently(action: String) {
        #expect(FailPoint.parse("stage.recorded=" + action) == ["stage.recorded": .error])
    }

    @Test func entriesWithoutANameAreIgnored() {
        #expect(FailPoint.parse("=kill,,nothing").isEmpty)
        #expect(FailPoint.parse("").isEmpty)
    }

    @Test func aPointNobodyConfiguredDoesNothing() throws {
        try FailPoint.hit("unit.test.never.configured")
    }
}
