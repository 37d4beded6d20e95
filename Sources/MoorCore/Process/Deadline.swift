/// The time left for one volume operation (the volume's `timeout`), shared
/// by every helper it runs, so three slow steps cannot add up to three
/// timeouts.
public struct Deadline: Sendable {
    public let end: ContinuousClock.Instant
    public let budget: Duration

    public init(_ budget: Duration) {
        self.budget = budget
        end = ContinuousClock.now + budget
    }

    /// The time left; throws `timedOut` once none is.
    public func remaining(for step: String) throws -> Duration {
        let left = end - ContinuousClock.now
        guard left > .zero else {
            throw MoorError(.timedOut, "\(step): the volume's timeout of \(budget.seconds)s ran out")
        }
        return left
    }
}

extension Duration {
    var seconds: Int64 { components.seconds }
}
