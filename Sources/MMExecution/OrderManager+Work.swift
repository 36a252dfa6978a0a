import MMCore
import MMRisk

/// How a request that is not about one order ended (cancel-all, reconciliation).
public enum RequestOutcome: Sendable, Equatable {
    case done
    case refused(Refusal, code: Int, retryAfterMillis: Int64)
    /// No answer, or one that does not tell.
    case unknown
}

extension OrderManager {
    // MARK: Halting

    /// Halts: cancels everything (one cancel-all and a cancel per order, repeated until the venue confirms
    /// none is open), stops renewing the heartbeat, and closes the position when configured to.
    mutating func enterHalt(_ reason: HaltReason, _ now: Moment) {
        if haltReason == nil {
            haltReason = reason
            if gate.state != .halted { gate.forceHalt() }
            haltConfirmed = false
            counters.halts += 1
            note(.halted(reason))
            emit(.journal(.halt(reason, wallMillis: now.wallMillis)))
            let lossHalt = reason == .dailyLoss || reason == .stopLoss || reason == .drawdown
            if configuration.flattenOnHalt && lossHalt && keeper.position.raw != 0 {
                flattenWanted = true
                flattenAttempts = 0
            }
        }
        haltConfirmed = false
        pullQuotes(now)
        requestCancelAll(now, force: false)
    }

    /// Asks for a cancel-all: now, or as soon as the venue's wait allows (`force`: now, whatever the
    /// backoff). One in flight is followed by another, for what was placed since it left.
    mutating func requestCancelAll(_ now: Moment, force: Bool) {
        Self.request(&cancelAll, now, force: force)
    }

    static func request(_ r: inout Retrying, _ now: Moment, force: Bool) {
        if r.inFlight {
            r.again = true
        } else if !r.wanted {
            r.wanted = true
            r.dueNanos = now.nanos
        } else if force {
            r.dueNanos = now.nanos
            r.waitNanos = 0
        }
    }

    /// Sends a wanted request that is due: in flight from now, with `token` and a deadline. False when it
    /// is not wanted, already in flight, or not yet due.
    static func begin(_ r: inout Retrying, _ now: Moment, token: UInt64, timeout: Int64) -> Bool {
        guard r.wanted && !r.inFlight && now.nanos >= r.dueNanos else { return false }
        r.wanted = false
        r.inFlight = true
        r.token = token
        r.sentNanos = now.nanos
        r.deadlineNanos = now.nanos &+ timeout
        return true
    }

    /// Marks a request done or failed; a request asked for while it was in flight is due now.
    static func finished(_ r: inout Retrying, _ now: Moment) {
        r.inFlight = false
        if r.again {
            r.again = false
            r.wanted = true
            r.dueNanos = now.nanos
        }
    }

    /// A cancel-all came back.
    public mutating func cancelAllReply(token: UInt64, _ outcome: RequestOutcome, at now: Moment) {
        guard cancelAll.inFlight, cancelAll.token == token else { return }
        Self.finished(&cancelAll, now)
        switch outcome {
        case .done:
            cancelAll.waitNanos = 0
            cancelAllsCompleted += 1
            for id in cancelAllCovers {
                guard let o = orders[id] else { continue }
                // Its fills before the cancel may still be on the stream.
                orders.close(id, nowNanos: now.nanos, unreported: o.worstCaseRemaining)
                emit(.journal(.closed(id, .canceled)))
                if id == flattenOrder { flattenOrder = nil }
            }
            cancelAllCovers.removeAll(keepingCapacity: true)
            note(.cancelAllDone)
            if haltReason != nil && !haltConfirmed { requestReconcile(now) }
        case .refused(let refusal, let code, let retryAfter):
            counters.venueRefusals += 1
            refusalsByCode[code, default: 0] += 1
            note(.cancelAllFailed(code: Int32(clamping: code)))
            if refusal == .rateLimited { block(now, retryAfterMillis: retryAfter) }
            Self.retryLater(&cancelAll, now, retryAfterMillis: retryAfter, configuration, blockedUntil: blockedUntilNanos)
        case .unknown:
            note(.cancelAllFailed(code: 0))
            Self.retryLater(&cancelAll, now, retryAfterMillis: 0, configuration, blockedUntil: blockedUntilNanos)
        }
        flushWork(now)
    }

    // MARK: Reconciliation

    mutating func requestReconcile(_ now: Moment) {
        Self.request(&reconcile, now, force: false)
    }

    /// A reconciliation failed (no answer, refused): tried again, backing off.
    public mutating func reconcileFailed(token: UInt64, _ outcome: RequestOutcome, at now: Moment) {
        guard reconcile.inFlight, reconcile.token == token else { return }
        Self.finished(&reconcile, now)
        var wait: Int64 = 0
        if case .refused(let refusal, _, let retryAfter) = outcome {
            wait = retryAfter
            if refusal == .rateLimited { block(now, retryAfterMillis: retryAfter) }
        }
        Self.retryLater(&reconcile, now, retryAfterMillis: wait, configuration, blockedUntil: blockedUntilNanos)
        flushWork(now)
    }

    // MARK: Retries and limits

    /// Schedules the next attempt: the wait doubles from `retryNanos` to `maxRetryNanos`, and is never
    /// shorter than the venue asked for, nor before a rate limit ends.
    static func retryLater(_ r: inout Retrying, _ now: Moment, retryAfterMillis: Int64, _ c: Configuration, blockedUntil: Int64) {
        r.wanted = true
        r.again = false
        r.waitNanos = r.waitNanos == 0 ? c.retryNanos : min(r.waitNanos * 2, c.maxRetryNanos)
        let asked = retryAfterMillis > 0 ? now.nanos &+ min(retryAfterMillis, 86_400_000) * 1_000_000 : 0
        r.dueNanos = max(now.nanos &+ r.waitNanos, asked, blockedUntil)
    }

    /// A rate limit or ban: nothing is sent until the venue's wait has passed.
    mutating func block(_ now: Moment, retryAfterMillis: Int64) {
        let wait = retryAfterMillis > 0 ? min(retryAfterMillis, 86_400_000) * 1_000_000 : configuration.defaultRateLimitWaitNanos
        blockedUntilNanos = max(blockedUntilNanos, now.nanos &+ wait)
    }

    // MARK: Work

    /// Sends whatever is due: reconciliation, cancel-all, halt confirmation, flatten, heartbeat.
    mutating func flushWork(_ now: Moment) {
        let allowed = now.nanos >= blockedUntilNanos
        // A request past its deadline without an answer failed.
        if reconcile.inFlight && now.nanos >= reconcile.deadlineNanos {
            Self.finished(&reconcile, now)
            Self.retryLater(&reconcile, now, retryAfterMillis: 0, configuration, blockedUntil: blockedUntilNanos)
        }
        if cancelAll.inFlight && now.nanos >= cancelAll.deadlineNanos {
            Self.finished(&cancelAll, now)
            note(.cancelAllFailed(code: 0))
            Self.retryLater(&cancelAll, now, retryAfterMillis: 0, configuration, blockedUntil: blockedUntilNanos)
        }
        if allowed && Self.begin(&cancelAll, now, token: tokens &+ 1, timeout: configuration.requestTimeoutNanos) {
            tokens &+= 1
            cancelAllCovers.removeAll(keepingCapacity: true)
            for o in orders.all where o.isSettledAtVenue(by: now.nanos) { cancelAllCovers.append(o.clientOrderID) }
            counters.cancelAllsSent += 1
            emit(.journal(.cancelAll(wallMillis: now.wallMillis)))
            emit(.cancelAll(token: cancelAll.token))
        }
        if haltReason != nil && !haltConfirmed && !cancelAll.wanted && !cancelAll.inFlight && orders.isEmpty {
            // Everything we know of is gone: the venue's listing confirms it.
            requestReconcile(now)
        }
        if allowed && Self.begin(&reconcile, now, token: tokens &+ 1, timeout: configuration.requestTimeoutNanos) {
            tokens &+= 1
            emit(.reconcile(token: reconcile.token))
        }
        if allowed && flattenWanted && flattenOrder == nil {
            let p = keeper.position
            if p.raw == 0 || flattenAttempts >= 3 {
                flattenWanted = false
            } else if let id = nextID() {
                flattenAttempts += 1
                flattenOrder = id
                send(OrderSpec(kind: .reduceOnlyMarket, clientOrderID: id, side: p.raw > 0 ? .sell : .buy, price: .zero, quantity: p.clampedMagnitude), now)
            }
        }
        let period = configuration.heartbeatNanos
        if period > 0 && configured && allowed {
            if haltReason == nil && now.nanos >= nextHeartbeatNanos {
                nextHeartbeatNanos = now.nanos &+ period
                heartbeatOn = true
                counters.heartbeats += 1
                emit(.heartbeat(countdownMillis: 3 * period / 1_000_000))
            } else if shuttingDown && haltConfirmed && heartbeatOn {
                heartbeatOn = false
                emit(.heartbeat(countdownMillis: 0))
            }
        }
    }
}
