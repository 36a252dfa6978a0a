/// What a request is, for deciding whether it may be sent again.
public enum RequestNature: Sendable, Equatable {
    /// Reads and other requests that change nothing.
    case read
    /// A cancel: sending it again is harmless.
    case cancel
    /// A new order: never sent twice on a guess.
    case placement
}

/// What to do after a failed attempt.
public enum RetryDecision: Sendable, Equatable {
    case retry(afterMillis: Int64)
    /// Take the venue's time again, then retry.
    case resyncClockThenRetry
    /// The order may exist: ask the venue for it by its client ID before anything else.
    case resolveByClientID
    case giveUp
}

/// One retry policy for every venue: a few tries with exponential backoff, rate limits waited out, and
/// placements never resent when the venue may have them.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts = 3
    /// The wait after the first failure; it doubles after each.
    public var baseDelayMillis: Int64 = 1000
    /// The least wait after a rate-limit refusal that names no `Retry-After`.
    public var rateLimitFloorMillis: Int64 = 5000

    public init(maxAttempts: Int = 3, baseDelayMillis: Int64 = 1000, rateLimitFloorMillis: Int64 = 5000) {
        self.maxAttempts = maxAttempts
        self.baseDelayMillis = baseDelayMillis
        self.rateLimitFloorMillis = rateLimitFloorMillis
    }

    /// The backoff after failed attempt `attempt` (1-based): base × 2^(attempt−1).
    public func backoff(after attempt: Int) -> Int64 {
        baseDelayMillis << Int64(min(max(attempt - 1, 0), 20))
    }

    /// The decision after attempt `attempt` (1-based) of a `nature` request failed with `kind`.
    public func decide(after attempt: Int, _ kind: VenueErrorKind, nature: RequestNature) -> RetryDecision {
        // A placement that may have reached the matching engine is looked up, never resent on a guess.
        if nature == .placement && kind == .unknownOutcome { return .resolveByClientID }
        guard attempt < maxAttempts else { return .giveUp }
        switch kind {
        case .network, .unavailable, .unknownOutcome:
            return .retry(afterMillis: backoff(after: attempt))
        case .rateLimited(let retryAfter):
            if let retryAfter { return .retry(afterMillis: max(retryAfter, backoff(after: attempt))) }
            return .retry(afterMillis: max(rateLimitFloorMillis, backoff(after: attempt)))
        case .clockSkew:
            return .resyncClockThenRetry
        case .auth, .insufficientFunds, .invalidOrder, .belowMinNotional, .unknownOrder, .other:
            return .giveUp
        }
    }
}
