import MMCore

/// Follows a placed order to its end: polls with backoff min(2ⁿ, 10) s, up to a number of polls or a time
/// limit; then a partial fill is accepted and the rest cancelled, no fill is cancelled and recorded. A value
/// that takes poll results (time included) and says what to do next.
public struct FillTracker: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case filled(Quantity)
        /// Part filled by the deadline: the rest is cancelled.
        case partiallyFilledTimeout(Quantity)
        /// Nothing filled by the deadline: cancelled.
        case timeout
    }

    public enum Action: Sendable, Equatable {
        /// Ask the venue for the order after this many milliseconds.
        case poll(afterMillis: Int64)
        /// Cancel what is left, then finish with the outcome.
        case cancel(then: Outcome)
        case finish(Outcome)
    }

    public let quantity: Quantity
    public var maxPolls = 30
    public var maxMillis: Int64 = 300_000
    public private(set) var polls = 0
    public private(set) var executed = Quantity.zero
    let startMillis: Int64

    public init(quantity: Quantity, startMillis: Int64) {
        self.quantity = quantity
        self.startMillis = startMillis
    }

    /// The first poll.
    public func begin() -> Action { .poll(afterMillis: 1000) }

    /// A poll's answer: what has executed so far, at `nowMillis`.
    public mutating func polled(executed: Quantity, nowMillis: Int64) -> Action {
        polls += 1
        self.executed = executed
        if executed >= quantity { return .finish(.filled(executed)) }
        let delay = min(Int64(1) << Int64(min(polls, 10)), 10) * 1000
        if polls >= maxPolls || nowMillis - startMillis + delay > maxMillis {
            return .cancel(then: executed.raw > 0 ? .partiallyFilledTimeout(executed) : .timeout)
        }
        return .poll(afterMillis: delay)
    }
}
