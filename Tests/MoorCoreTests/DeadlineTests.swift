import Testing
@testable import MoorCore

@Suite struct DeadlineTests {
    @Test func remainingIsTheBudgetLeft() throws {
        let deadline = Deadline(.seconds(60))
        let left = try deadline.remaining(for: "mount")
        #expect(left <= .seconds(60))
        #expect(left > .seconds(59))
    }

    @Test func spentDeadlineThrowsTimedOutNamingTheStep() throws {
        let error = #expect(throws: MoorError.self) { try Deadline(.zero).remaining(for: "mkfs") }
        #expect(error?.kind == .timedOut)
        #expect(error?.message == "mkfs: the volume's timeout of 0s ran out")
    }
}
