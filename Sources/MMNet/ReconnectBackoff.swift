import NIOCore

/// Waits between reconnect attempts: exponential backoff with full jitter (anywhere from zero up to the
/// current step, which doubles to a cap), so many clients losing one venue do not return in step.
public struct ReconnectBackoff: Sendable {
    public let initial: TimeAmount
    public let cap: TimeAmount
    public private(set) var step: TimeAmount

    public init(initial: TimeAmount, cap: TimeAmount) {
        self.initial = initial
        self.cap = cap
        step = initial
    }

    /// The wait before the next attempt; the step doubles (to the cap) for the one after.
    public mutating func next(using rng: inout some RandomNumberGenerator) -> TimeAmount {
        let wait = TimeAmount.nanoseconds(Int64.random(in: 0...max(1, step.nanoseconds), using: &rng))
        step = .nanoseconds(min(step.nanoseconds * 2, cap.nanoseconds))
        return wait
    }

    /// A connection held: the next loss starts from the initial step again.
    public mutating func reset() { step = initial }
}
