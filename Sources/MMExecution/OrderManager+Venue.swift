import MMCore
import MMRisk

extension OrderManager {
    // MARK: Request replies

    /// The answer to a place, cancel, modify or query of order `id`.
    public mutating func reply(_ id: ClientOrderID, to kind: RequestKind, _ reply: VenueReply, at now: Moment) {
        if case .accepted(let v) = reply, !OrderTracker.isPlausible(v) {
            counters.implausibleReports += 1
            note(.implausibleReport)
            return
        }
        if case .refused(let refusal, let code, let retryAfter) = reply {
            counters.venueRefusals += 1
            refusalsByCode[code, default: 0] += 1
            if refusal == .postOnlyWouldCross { counters.postOnlyRefusals += 1 }
            if refusal == .rateLimited { block(now, retryAfterMillis: retryAfter) }
            emit(.journal(.refused(id, kind, code: Int32(clamping: code))))
            note(.refused(id, kind, refusal, code: Int32(clamping: code)))
        }
        guard var o = orders[id] else {
            // A late answer about an order already settled, or never ours to track.
            if case .accepted(let v) = reply, !v.status.isFinal, isOurs(id), orders.closedAt(id) == nil { adopt(v, now) }
            flushWork(now)
            return
        }
        // An answer to a request that is no longer the one in flight (a later one superseded it) still tells
        // where the order stands, but does not settle the later request.
        let current = answersCurrent(o, kind)
        switch (kind, reply) {
        case (_, .accepted(let v)):
            accepted(&o, v, kind: kind, current: current, now)
        case (.place, .refused):
            close(id, .rejected, now)
            return flushWork(now)
        case (.query, .refused(.unknownOrder, _, _)):
            // Not at the venue. Past its receive window a place that has not arrived never will.
            note(.resolved(id, found: false))
            if o.request == .query && o.expiresNanos > now.nanos && o.ackedNanos == 0 {
                o.deadlineNanos = o.expiresNanos
                o.request = .place
                orders[id] = o
            } else {
                close(id, .canceled, now, unreported: o.ackedNanos > 0 ? o.worstCaseRemaining : .zero)
                return flushWork(now)
            }
        case (.cancel, .refused(.unknownOrder, _, _)), (.modify, .refused(.unknownOrder, _, _)):
            // Gone: filled or cancelled (its reports say which, and until they do it may have filled).
            close(id, .canceled, now, unreported: o.worstCaseRemaining)
            return flushWork(now)
        case (_, .refused) where !current:
            break
        case (.cancel, .refused):
            o.state = .open
            o.cancelWanted = true
            o.deadlineNanos = .max
            orders[id] = o
        case (.modify, .refused):
            o.state = .open
            o.targetPrice = o.price
            o.targetQuantity = o.quantity
            o.deadlineNanos = .max
            orders[id] = o
        case (.query, .refused):
            // Asked again at the deadline, backing off.
            o.deadlineNanos = now.nanos &+ min(configuration.retryNanos << Int64(min(o.attempts, 4)), configuration.maxRetryNanos)
            orders[id] = o
        case (_, .unknown) where !current:
            break
        case (_, .unknown):
            if o.state != .unknown {
                counters.unknownOutcomes += 1
                note(.unknownOutcome(id, kind))
            }
            // Queried at the request's deadline: before it, a place may still arrive.
            o.state = .unknown
            if kind != .query { o.request = kind }
            orders[id] = o
        }
        // A reply moves no PnL: no limit to evaluate.
        flushWork(now)
    }

    /// Whether a reply to `kind` answers the request in flight for `o`.
    private func answersCurrent(_ o: TrackedOrder, _ kind: RequestKind) -> Bool {
        switch o.state {
        case .pendingNew: kind == .place
        case .pendingCancel: kind == .cancel
        case .pendingModify: kind == .modify
        case .unknown: kind == .query || kind == o.request
        case .open: false
        }
    }

    private mutating func finish(_ now: Moment) {
        evaluateLimits(now)
        flushWork(now)
    }

    /// The venue holds (or held) the order as `v` says.
    private mutating func accepted(_ o: inout TrackedOrder, _ v: VenueOrder, kind: RequestKind, current: Bool, _ now: Moment) {
        let id = o.clientOrderID
        if kind == .query && o.state == .unknown { note(.resolved(id, found: true)) }
        // Fills the venue counts and the user stream has not reported: they still move the position when
        // their reports arrive, so they stay exposure until then.
        let unreported = Quantity(raw: max(0, v.executed.raw - o.filled.raw))
        if v.venueOrderID.rawValue != 0 { o.venueOrderID = v.venueOrderID }
        if v.status.isFinal {
            orders[id] = o
            close(id, v.status, now, unreported: unreported)
            return
        }
        if unreported.raw > 0 && (kind == .cancel || kind == .query) && o.reportSeen {
            counters.missedFills += 1
            note(.missedFill(id))
            requestReconcile(now)
        }
        if o.ackedNanos == 0 {
            o.ackedNanos = now.nanos
            counters.placesAcknowledged += 1
            emit(.journal(.acknowledged(id, o.venueOrderID)))
        }
        guard current else {
            orders[id] = o
            return
        }
        switch kind {
        case .modify, .query:
            o.price = v.price
            o.quantity = v.quantity
            o.targetPrice = v.price
            o.targetQuantity = v.quantity
        case .place, .cancel:
            break
        }
        if kind == .cancel {
            // A cancel the venue took but did not finish (it reports the order still open): ask again later.
            o.cancelWanted = true
        }
        o.state = .open
        o.deadlineNanos = .max
        o.attempts = 0
        orders[id] = o
        if o.cancelWanted || haltReason != nil { requestCancel(id, now) }
    }

    /// Forgets an order the venue no longer has. `unreported`: what it may have filled that the user stream
    /// has not reported yet (it keeps counting as exposure until it is).
    mutating func close(_ id: ClientOrderID, _ status: OrderStatus, _ now: Moment, unreported: Quantity = .zero) {
        orders.close(id, nowNanos: now.nanos, unreported: unreported)
        emit(.journal(.closed(id, status)))
        if id == flattenOrder { flattenOrder = nil }
    }

    func isOurs(_ id: ClientOrderID) -> Bool { id.hasPrefix(configuration.ownPrefix) }

    /// An order of ours the manager did not track: tracked from now on, and cancelled.
    mutating func adopt(_ v: VenueOrder, _ now: Moment) {
        var o = TrackedOrder(
            clientOrderID: v.clientOrderID, venueOrderID: v.venueOrderID, kind: v.reduceOnly ? .reduceOnlyMarket : .postOnlyLimit,
            side: v.side, price: v.price, quantity: v.quantity, filled: v.executed, state: .open, request: .query, sentNanos: now.nanos,
            ackedNanos: now.nanos)
        o.reportSeen = true
        orders[v.clientOrderID] = o
        counters.adopted += 1
        note(.adopted(v.clientOrderID))
        requestCancel(v.clientOrderID, now)
    }

    // MARK: User stream

    /// One execution report from the user stream (any order of the symbol: fills of every order move the
    /// account's position and PnL; orders of ours not tracked are adopted and cancelled).
    public mutating func report(_ r: ExecutionReport, at now: Moment) {
        guard r.symbol == configuration.instrument.symbol else { return }
        guard OrderTracker.isPlausible(r) else {
            counters.implausibleReports += 1
            note(.implausibleReport)
            return
        }
        let id = ClientOrderID(r.clientOrderID) ?? ClientOrderID()
        if r.execution == .trade, r.lastQuantity.raw > 0 {
            applyFill(r, id: id, now)
        }
        if orders[id] == nil && id.count > 0 {
            orders.settle(id, filled: r.execution == .trade ? r.lastQuantity : .zero, final: r.status.isFinal)
        }
        if var o = orders[id], id.count > 0 {
            o.reportSeen = true
            if r.cumulativeQuantity > o.filled { o.filled = r.cumulativeQuantity }
            if r.venueOrderID.rawValue != 0 { o.venueOrderID = r.venueOrderID }
            // A fill is the venue's acknowledgement too, when it overtakes the placement's answer.
            if o.ackedNanos == 0 && (!r.status.isFinal || r.execution == .trade) {
                o.ackedNanos = now.nanos
                counters.placesAcknowledged += 1
                emit(.journal(.acknowledged(id, o.venueOrderID)))
            }
            if r.status.isFinal {
                orders[id] = o
                close(id, r.status, now)
            } else {
                if r.execution == .amendment {
                    o.price = r.price
                    o.quantity = r.quantity
                    if o.state == .pendingModify {
                        o.state = .open
                        o.deadlineNanos = .max
                    }
                }
                if o.state == .pendingNew || (o.state == .unknown && o.request == .place) {
                    o.state = .open
                    o.deadlineNanos = .max
                }
                orders[id] = o
                if (o.cancelWanted || haltReason != nil) && o.state == .open { requestCancel(id, now) }
            }
        } else if id.count > 0, isOurs(id), !r.status.isFinal, orders.closedAt(id) == nil {
            adopt(
                VenueOrder(
                    clientOrderID: id, venueOrderID: r.venueOrderID, side: r.side, price: r.price, quantity: r.quantity,
                    executed: r.cumulativeQuantity, status: r.status, reduceOnly: r.reduceOnly), now)
        }
        finish(now)
    }

    private mutating func applyFill(_ r: ExecutionReport, id: ClientOrderID, _ now: Moment) {
        guard keeper.fill(tradeID: r.tradeID, side: r.side, price: r.lastPrice, quantity: r.lastQuantity, maker: r.isMaker, time: r.transactionTime.millis)
        else { return }
        var fee = r.commission
        // A zero commission needs no price, whatever its asset (a spot maker's buy at a 0 % fee).
        if fee.raw != 0 && !r.commissionAsset.isEmpty && r.commissionAsset != configuration.settlementAsset {
            if let price = r.commissionAsset == configuration.baseAsset ? r.lastPrice : assetPrices[r.commissionAsset] {
                fee = Notional(raw: Int64(clamping: Int128(fee.raw) * Int128(price.raw) / Int128(FixedPointScale.unit)))
            } else {
                // A fee the loss limits cannot price: counted at zero and trading halts.
                fee = .zero
                enterHalt(.commissionUnpriced, now)
            }
        }
        figures.addFill(realized: r.realizedPnL, fee: fee)
        emit(.journal(.fill(
            id, r.side, price: r.lastPrice, quantity: r.lastQuantity, fee: fee, realized: r.realizedPnL, tradeID: r.tradeID, maker: r.isMaker,
            wallMillis: r.transactionTime.millis)))
        emit(.journal(.pnl(figures, wallMillis: now.wallMillis)))
        note(.filled(id, r.side, price: r.lastPrice, quantity: r.lastQuantity, fee: fee, maker: r.isMaker))
    }

    /// A balance and position update (`ACCOUNT_UPDATE`): the venue's position, advisory (its fills may come
    /// before or after it), and funding fees.
    public mutating func account(_ u: AccountUpdate, at now: Moment) {
        for p in u.positions where p.symbol == configuration.instrument.symbol && p.positionSide == "BOTH" {
            guard OrderTracker.isPlausible(p.quantity, p.entryPrice) else {
                counters.implausibleReports += 1
                note(.implausibleReport)
                continue
            }
            keeper.advisory(quantity: p.quantity, entry: p.entryPrice, time: u.transactionTime.millis, nowNanos: now.nanos)
        }
        if u.reason == "FUNDING_FEE" {
            for b in u.balances where b.asset == configuration.settlementAsset && b.change.raw.magnitude <= OrderTracker.plausibleMagnitude.magnitude {
                figures.addFunding(b.change)
                emit(.journal(.funding(b.change, wallMillis: now.wallMillis)))
                emit(.journal(.pnl(figures, wallMillis: now.wallMillis)))
                note(.fundingFee(b.change))
            }
        }
        finish(now)
    }

    // MARK: Reconciliation

    /// The venue's open orders and position, answering `reconcile(token:)`.
    public mutating func reconciled(token: UInt64, _ s: VenueSnapshot, at now: Moment) {
        guard reconcile.inFlight, reconcile.token == token else { return }
        let requested = reconcile.sentNanos
        Self.finished(&reconcile, now)
        reconcile.waitNanos = 0
        counters.reconciliations += 1
        var ours = 0
        var adopted = 0
        var listed: [ClientOrderID] = []
        listed.reserveCapacity(s.openOrders.count)
        for v in s.openOrders where isOurs(v.clientOrderID) && OrderTracker.isPlausible(v) {
            if orders[v.clientOrderID] == nil, let closedAt = orders.closedAt(v.clientOrderID), closedAt > requested {
                // Closed after the listing was taken.
                continue
            }
            ours += 1
            listed.append(v.clientOrderID)
            if var o = orders[v.clientOrderID] {
                if v.executed > o.filled { o.filled = v.executed }
                if o.ackedNanos == 0 { o.ackedNanos = now.nanos }
                // Listed: no report of its start is owed any more.
                o.reportSeen = true
                if o.state == .pendingNew || (o.state == .unknown && o.request != .cancel) {
                    o.state = .open
                    o.deadlineNanos = .max
                    o.price = v.price
                    o.quantity = v.quantity
                }
                orders[v.clientOrderID] = o
                if o.state == .open && (o.cancelWanted || haltReason != nil) { requestCancel(v.clientOrderID, now) }
            } else {
                adopted += 1
                adopt(v, now)
            }
        }
        // Tracked orders the venue held when the listing was asked for and no longer lists are gone.
        // Backwards: closing moves the last order into the gap.
        for i in stride(from: orders.count - 1, through: 0, by: -1) where i < orders.count {
            let o = orders.at(i)
            if o.isSettledAtVenue(by: requested) && !listed.contains(o.clientOrderID) { close(o.clientOrderID, .canceled, now) }
        }
        if OrderTracker.isPlausible(s.position, s.entryPrice) {
            keeper.authoritative(quantity: s.position, entry: s.entryPrice, time: s.positionTimeMillis)
            orders.settleAll(closedBy: requested)
        }
        if userStreamUp && !userStreamSilent {
            reconciledSinceConnect = true
            userStreamLostNanos = nil
        }
        emit(.journal(.reconciled(open: Int32(clamping: ours), position: keeper.position, wallMillis: now.wallMillis)))
        note(.reconciled(open: Int32(clamping: ours), adopted: Int32(clamping: adopted)))
        if haltReason != nil && !haltConfirmed {
            if ours == 0 && orders.isEmpty {
                haltConfirmed = true
                note(.haltConfirmed)
            } else if ours > 0 {
                requestCancelAll(now, force: true)
            }
        }
        finish(now)
    }
}
