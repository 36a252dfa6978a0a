import MMCore
import NIOHTTP1
import Synchronization

/// The venue's request-weight budget, shared by every thread that calls its REST API (the ingest thread's
/// snapshots and the gateway's requests count against one IP limit). Each reply's `X-MBX-USED-WEIGHT-1M`
/// updates it; a 429 or 418 with `Retry-After` closes it until the wait has passed. Lock free.
public final class RequestBudget: Sendable {
    /// Weight per minute the venue allows (Binance USDⓈ-M: 2,400).
    public let weightPerMinute: Int
    private let used = Atomic<Int>(0)
    /// When the weight was last reported (monotonic; a minute later it has reset).
    private let usedAt = Atomic<Int64>(0)
    private let closedUntil = Atomic<Int64>(0)

    public init(weightPerMinute: Int = 2400) {
        self.weightPerMinute = weightPerMinute
    }

    /// Weight used in the current minute, as last reported.
    public var usedWeight: Int { usedWeight(nowNanos: MonotonicInstant.now().nanos) }

    /// Weight used as of `nowNanos` (a report older than a minute has reset).
    public func usedWeight(nowNanos: Int64) -> Int {
        nowNanos - usedAt.load(ordering: .relaxed) > 60_000_000_000 ? 0 : used.load(ordering: .relaxed)
    }

    /// No request before this (monotonic nanos): the venue asked us to wait.
    public var closedUntilNanos: Int64 { closedUntil.load(ordering: .relaxed) }

    /// Whether a request of `weight` may go now: not inside a wait, and under 90 % of the minute's weight
    /// (`essential` requests, which reduce risk, may use the rest).
    public func allows(weight: Int, essential: Bool = false, nowNanos: Int64 = MonotonicInstant.now().nanos) -> Bool {
        if nowNanos < closedUntilNanos { return false }
        let limit = essential ? weightPerMinute : weightPerMinute * 9 / 10
        return usedWeight(nowNanos: nowNanos) + weight <= limit
    }

    /// Reads a reply's headers: the weight used and, on 429/418, the wait. Returns the wait in milliseconds
    /// (0 when none).
    @discardableResult
    public func observe(status: Int, headers: HTTPHeaders, nowNanos: Int64 = MonotonicInstant.now().nanos) -> Int64 {
        if let w = headers.first(name: "X-MBX-USED-WEIGHT-1M").flatMap({ Int($0) }), w >= 0 {
            used.store(w, ordering: .relaxed)
            usedAt.store(nowNanos, ordering: .relaxed)
        }
        guard status == 429 || status == 418 else { return 0 }
        // A missing or absurd Retry-After: a minute for a ban, 10 s for a rate limit.
        let seconds = headers.first(name: "Retry-After").flatMap { Int64($0) }.map { min(max($0, 1), 86_400) } ?? (status == 418 ? 60 : 10)
        close(forMillis: seconds * 1000, nowNanos: nowNanos)
        return seconds * 1000
    }

    /// Closes the budget for `millis` from now.
    public func close(forMillis millis: Int64, nowNanos: Int64 = MonotonicInstant.now().nanos) {
        let until = nowNanos + min(max(millis, 0), 86_400_000) * 1_000_000
        var current = closedUntil.load(ordering: .relaxed)
        while until > current {
            let (exchanged, original) = closedUntil.compareExchange(expected: current, desired: until, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }
}
