import MMCore
import MMExecution
import MMVenue
import Synchronization

/// A spot venue's REST API (Binance spot, MEXC) as the order manager's gateway: the manager's actions run as
/// requests, and what comes of them is queued as inputs the owner feeds back (never from inside
/// `execute`, so the manager is not re-entered).
///
/// These venues have no user stream here: fills come from polling the account's trades (`poll()`), each new
/// trade of one of our orders becoming an execution report. Venue order IDs that are not numbers (MEXC's)
/// get a local number, kept in this gateway, because the manager's `VenueOrderID` is Binance's integer.
/// Spot has no position: the one reported on reconciliation is the base asset held beyond what was held
/// at `start()`. No dead-man countdown, no amend and no reduce-only orders exist on spot; the manager must
/// be configured without modify and without flatten-on-halt.
public final class SpotRESTGateway: VenueGateway, Sendable {
    /// What the owner feeds to the manager.
    public enum Input: Sendable, Equatable {
        case reply(ClientOrderID, RequestKind, VenueReply)
        case report(ExecutionReport)
        case cancelAll(token: UInt64, RequestOutcome)
        case reconciled(token: UInt64, VenueSnapshot)
        case reconcileFailed(token: UInt64, RequestOutcome)
        /// Trade polling works (or stopped working): the stand-in for a user stream.
        case userStream(connected: Bool)
    }

    struct Placed {
        var ref: VenueOrderRef
        var side: Side
        var price: Price
        var quantity: Quantity
        var filled: Quantity
        var quote: Notional
    }

    struct State {
        var inbox: [Input] = []
        var localIDs: [VenueOrderRef: Int64] = [:]
        var nextLocal: Int64 = 1
        var orders: [ClientOrderID: Placed] = [:]
        var byRef: [VenueOrderRef: ClientOrderID] = [:]
        var seenTrades: Set<String> = []
        var baseAtStart = Quantity.zero
        var polling = false
        var lastPollNanos: Int64?
    }

    public let client: SpotRESTClient
    public let market: MarketSpec
    /// Trades are asked for at most this often: the account-trades endpoint weighs 10 (MEXC, of 500 per
    /// 10 s) or 20 (Binance spot, of 6,000 a minute shared with everything else).
    public let pollIntervalNanos: Int64
    private let state = Mutex(State())

    public init(client: SpotRESTClient, market: MarketSpec, pollIntervalNanos: Int64 = 1_000_000_000) {
        self.client = client
        self.market = market
        self.pollIntervalNanos = pollIntervalNanos
    }

    private func post(_ input: Input) { state.withLock { $0.inbox.append(input) } }

    /// What has come back since the last call, in arrival order.
    public func drain() -> [Input] {
        state.withLock { s in
            defer { s.inbox.removeAll() }
            return s.inbox
        }
    }

    /// Feeds one input to the manager through `session` (the manager's actions go out through this gateway).
    public func feed(_ input: Input, into session: inout OrderSession, at now: Moment) {
        session.handle(self, at: now) { m in
            switch input {
            case .reply(let id, let kind, let reply): m.reply(id, to: kind, reply, at: now)
            case .report(let r): m.report(r, at: now)
            case .cancelAll(let token, let outcome): m.cancelAllReply(token: token, outcome, at: now)
            case .reconciled(let token, let snapshot): m.reconciled(token: token, snapshot, at: now)
            case .reconcileFailed(let token, let outcome): m.reconcileFailed(token: token, outcome, at: now)
            case .userStream(let up): m.userStream(connected: up, at: now)
            }
        }
    }

    /// Takes the account as it is: trades so far are not ours to report, and the base held is the zero
    /// position.
    public func start() async throws(VenueFailure) {
        let trades = try await client.myTrades(symbol: market.venueSymbol, limit: 1000)
        let balances = try await client.balances()
        state.withLock { s in
            s.seenTrades.formUnion(trades.map(\.tradeID))
            s.baseAtStart = Quantity(raw: (balances[market.base]?.total ?? .zero).raw)
            s.polling = true
        }
        post(.userStream(connected: true))
    }

    /// Reports the account's new trades of our orders as fills (nothing when the last poll is more recent
    /// than `pollIntervalNanos`).
    public func poll() async {
        let now = MonotonicInstant.now().nanos
        let due = state.withLock { s in
            if let last = s.lastPollNanos, now - last < pollIntervalNanos { return false }
            s.lastPollNanos = now
            return true
        }
        guard due else { return }
        let trades: [SpotRESTClient.Trade]
        do { trades = try await client.myTrades(symbol: market.venueSymbol, limit: 1000) } catch {
            if state.withLock({ $0.polling }) {
                state.withLock { $0.polling = false }
                post(.userStream(connected: false))
            }
            return
        }
        let symbol = market.instrument.symbol
        state.withLock { s in
            if !s.polling {
                // Polling works again: the manager reconciles and quotes again.
                s.polling = true
                s.inbox.append(.userStream(connected: true))
            }
            for t in trades where !s.seenTrades.contains(t.tradeID) {
                s.seenTrades.insert(t.tradeID)
                guard let ref = t.orderRef, let id = s.byRef[ref], var o = s.orders[id] else { continue }
                o.filled = o.filled + t.quantity
                o.quote = o.quote + (Notional(price: t.price, quantity: t.quantity) ?? .zero)
                s.orders[id] = o
                let average = o.filled.raw > 0 ? Price(raw: Int64(Int128(o.quote.raw) * Int128(FixedPointScale.unit) / Int128(o.filled.raw))) : .zero
                let local = Self.localID(ref, &s)
                s.inbox.append(.report(ExecutionReport(
                    symbol: symbol, clientOrderID: id.description, venueOrderID: VenueOrderID(local), side: o.side, orderType: "LIMIT",
                    timeInForce: "GTC", quantity: o.quantity, price: o.price, averagePrice: average, stopPrice: .zero, execution: .trade,
                    status: o.filled >= o.quantity ? .filled : .partiallyFilled, lastQuantity: t.quantity, lastPrice: t.price,
                    cumulativeQuantity: o.filled, commission: (try? Notional(parsing: t.commission)) ?? .zero, commissionAsset: t.commissionAsset,
                    tradeID: Int64(t.tradeID) ?? Int64(truncatingIfNeeded: t.tradeID.hashValue), isMaker: t.maker, reduceOnly: false,
                    realizedPnL: .zero, eventTime: UnixNanos(millis: t.timeMillis), transactionTime: UnixNanos(millis: t.timeMillis))))
            }
        }
    }

    /// A local number for a venue's order ID: the ID itself when it is one.
    static func localID(_ ref: VenueOrderRef, _ s: inout State) -> Int64 {
        if let n = Int64(ref.description) { return n }
        if let known = s.localIDs[ref] { return known }
        let n = s.nextLocal
        s.nextLocal += 1
        s.localIDs[ref] = n
        return n
    }

    /// How the manager sees a refusal or a failed request.
    static func reply(_ e: VenueFailure) -> VenueReply {
        let code = e.code ?? e.httpStatus
        // A post-only order that would take: Binance spot's -2010 "Order would immediately match and take.",
        // MEXC's 30010.
        if e.message.contains("immediately match") || (e.venue == .mexc && e.code == 30010) {
            return .refused(.postOnlyWouldCross, code: code, retryAfterMillis: 0)
        }
        switch e.kind {
        case .network, .unknownOutcome, .unavailable: return .unknown
        case .rateLimited(let after): return .refused(.rateLimited, code: code, retryAfterMillis: after ?? 0)
        case .clockSkew: return .refused(.clockSkew, code: code, retryAfterMillis: 0)
        case .unknownOrder: return .refused(.unknownOrder, code: code, retryAfterMillis: 0)
        case .auth, .insufficientFunds, .invalidOrder, .belowMinNotional, .other: return .refused(.invalid, code: code, retryAfterMillis: 0)
        }
    }

    static func outcome(_ e: VenueFailure) -> RequestOutcome {
        switch reply(e) {
        case .refused(let r, let code, let after): .refused(r, code: code, retryAfterMillis: after)
        default: .unknown
        }
    }

    private func venueOrder(_ id: ClientOrderID, _ o: OrderState) -> VenueOrder {
        let local = state.withLock { Self.localID(o.ref, &$0) }
        return VenueOrder(
            clientOrderID: id, venueOrderID: VenueOrderID(local), side: o.side ?? .buy, price: o.price, quantity: o.quantity, executed: o.executed,
            status: o.status.status)
    }

    public func execute(_ action: OrderAction, at now: Moment) {
        let symbol = market.venueSymbol
        switch action {
        case .place(let spec):
            guard spec.kind == .postOnlyLimit else {
                post(.reply(spec.clientOrderID, .place, .refused(.invalid, code: 0, retryAfterMillis: 0)))
                return
            }
            Task {
                do throws(VenueFailure) {
                    let ref = try await client.place(
                        symbol: symbol, side: spec.side, price: spec.price, quantity: spec.quantity, clientOrderID: spec.clientOrderID.description, postOnly: true)
                    let local = state.withLock { s in
                        s.orders[spec.clientOrderID] = Placed(ref: ref, side: spec.side, price: spec.price, quantity: spec.quantity, filled: .zero, quote: .zero)
                        s.byRef[ref] = spec.clientOrderID
                        return Self.localID(ref, &s)
                    }
                    post(.reply(spec.clientOrderID, .place, .accepted(VenueOrder(
                        clientOrderID: spec.clientOrderID, venueOrderID: VenueOrderID(local), side: spec.side, price: spec.price, quantity: spec.quantity,
                        executed: .zero, status: .new))))
                } catch {
                    post(.reply(spec.clientOrderID, .place, Self.reply(error)))
                }
            }
        case .cancel(let id):
            Task {
                do throws(VenueFailure) {
                    let o = try await client.cancel(symbol: symbol, clientOrderID: id.description)
                    post(.reply(id, .cancel, .accepted(venueOrder(id, o))))
                } catch {
                    post(.reply(id, .cancel, Self.reply(error)))
                }
            }
        case .query(let id):
            Task {
                do throws(VenueFailure) {
                    let o = try await client.order(symbol: symbol, clientOrderID: id.description)
                    state.withLock { s in
                        if s.orders[id] == nil, let side = o.side {
                            // Found after an unknown outcome: its fills are ours to report from now on.
                            s.orders[id] = Placed(ref: o.ref, side: side, price: o.price, quantity: o.quantity, filled: o.executed, quote: .zero)
                            s.byRef[o.ref] = id
                        }
                    }
                    post(.reply(id, .query, .accepted(venueOrder(id, o))))
                } catch {
                    post(.reply(id, .query, Self.reply(error)))
                }
            }
        case .modify(let id, _, _, _):
            // Spot venues have no amend.
            post(.reply(id, .modify, .refused(.invalid, code: 0, retryAfterMillis: 0)))
        case .cancelAll(let token):
            Task {
                do throws(VenueFailure) {
                    try await client.cancelAll(symbol: symbol)
                    post(.cancelAll(token: token, .done))
                } catch {
                    post(.cancelAll(token: token, Self.outcome(error)))
                }
            }
        case .reconcile(let token):
            Task {
                do throws(VenueFailure) {
                    let open = try await client.openOrders(symbol: symbol)
                    let balances = try await client.balances()
                    let orders = open.compactMap { v -> VenueOrder? in
                        guard let id = ClientOrderID(v.clientOrderID), let price = try? Price(parsing: v.price), let quantity = try? Quantity(parsing: v.quantity),
                            let executed = try? Quantity(parsing: v.executed)
                        else { return nil }
                        let local = state.withLock { Self.localID(v.ref, &$0) }
                        return VenueOrder(
                            clientOrderID: id, venueOrderID: VenueOrderID(local), side: v.side == "SELL" ? .sell : .buy, price: price, quantity: quantity,
                            executed: executed, status: v.status.status)
                    }
                    let held = Quantity(raw: (balances[market.base]?.total ?? .zero).raw)
                    let position = held - state.withLock { $0.baseAtStart }
                    post(.reconciled(token: token, VenueSnapshot(openOrders: orders, position: position, entryPrice: .zero, positionTimeMillis: UnixNanos.now().millis)))
                } catch {
                    post(.reconcileFailed(token: token, Self.outcome(error)))
                }
            }
        case .heartbeat, .reconnectUserStream, .journal, .note:
            // No countdown cancel on spot; trade polling reconnects by itself; the journal is the engine's.
            break
        }
    }

    public func endOfBatch(at now: Moment) {}
}
