import MMBook
import MMCore
import MMExecution
import MMStrategy
import TestSupport

/// A small exchange for the order manager's property test: it keeps the truth (open orders, position) and
/// answers the manager's actions over links that delay, reorder, drop and garble, as a real venue's do.
/// Written apart from the manager, it shares none of its code.
struct VenueModel {
    struct Order {
        var spec: OrderSpec
        var quantity: Quantity
        var executed: Quantity
        var price: Price
        var venueID: Int64
    }

    /// Something on its way: to the venue (an action, sent at `sentNanos`) or back to the manager.
    enum Message {
        case toVenue(OrderAction, sentNanos: Int64)
        case reply(ClientOrderID, RequestKind, VenueReply)
        case cancelAllReply(UInt64, RequestOutcome)
        case reconciled(UInt64, VenueSnapshot)
        case reconcileFailed(UInt64, RequestOutcome)
        /// The user stream (one ordered channel).
        case report(ExecutionReport)
        case account(AccountUpdate)
    }

    var rng: SplitMix
    var open: [ClientOrderID: Order] = [:]
    /// Every order the venue ever accepted, and its final state once closed.
    var closed: [ClientOrderID: (Order, OrderStatus)] = [:]
    var position: Int64 = 0
    var positionTime: Int64 = 0
    var nextVenueID: Int64 = 100
    var nextTrade: Int64 = 1
    /// Requests are refused with a wait until then (monotonic).
    var rateLimitedUntil: Int64 = 0
    /// Dead-man switch: everything is cancelled at this time unless renewed.
    var countdownAt: Int64 = .max
    /// The venue refuses a request older than this when it arrives.
    let recvWindowNanos: Int64 = 5_000_000_000
    /// Faults on or off (a quiet period turns them off).
    var faults = true
    /// The user stream delivers nothing (connected but silent).
    var streamSilent = false
    var queue: [(at: Int64, seq: Int, message: Message)] = []
    var seq = 0
    /// The user stream's last delivery time (it keeps its order).
    var streamClock: Int64 = 0
    var wallOffset: Int64

    init(seed: UInt64, wallOffset: Int64) {
        rng = SplitMix(seed: seed)
        self.wallOffset = wallOffset
    }

    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }
    mutating func latency(_ maxMillis: Int64) -> Int64 { Int64(rng.next() % UInt64(maxMillis * 1_000_000 + 1)) }

    mutating func push(_ at: Int64, _ m: Message) {
        seq += 1
        queue.append((at, seq, m))
    }

    /// The next message due by `now`, in time order.
    mutating func pop(dueBy now: Int64) -> Message? {
        guard let i = queue.indices.min(by: { (queue[$0].at, queue[$0].seq) < (queue[$1].at, queue[$1].seq) }), queue[i].at <= now else { return nil }
        return queue.remove(at: i).message
    }

    /// An action leaves the manager: it reaches the venue after a random delay (or, now and then, never).
    mutating func send(_ a: OrderAction, now: Int64) {
        switch a {
        case .journal, .note, .reconnectUserStream: return
        default: break
        }
        if faults && chance(0.03) { return }
        let delay = faults && chance(0.02) ? 4_000_000_000 + latency(3_000) : latency(40)
        push(now + delay, .toVenue(a, sentNanos: now))
    }

    mutating func answer(_ m: Message, now: Int64) {
        if faults && chance(0.03) { return }
        push(now + latency(40), m)
    }

    mutating func stream(_ m: Message, now: Int64) {
        guard !streamSilent else { return }
        streamClock = max(streamClock, now) + latency(30)
        push(streamClock, m)
    }

    func venueOrder(_ id: ClientOrderID, _ o: Order, _ status: OrderStatus) -> VenueOrder {
        VenueOrder(
            clientOrderID: id, venueOrderID: VenueOrderID(o.venueID), side: o.spec.side, price: o.price, quantity: o.quantity, executed: o.executed,
            status: status, reduceOnly: o.spec.reduceOnly)
    }

    func report(_ id: ClientOrderID, _ o: Order, _ x: ExecutionType, _ status: OrderStatus, last: Quantity = .zero, trade: Int64 = 0, now: Int64)
        -> ExecutionReport
    {
        ExecutionReport(
            symbol: Harness.btc.symbol, clientOrderID: id.description, venueOrderID: VenueOrderID(o.venueID), side: o.spec.side,
            orderType: o.spec.reduceOnly ? "MARKET" : "LIMIT", timeInForce: "GTX", quantity: o.quantity, price: o.price, averagePrice: .zero,
            stopPrice: .zero, execution: x, status: status, lastQuantity: last, lastPrice: o.price.raw == 0 ? Price("60000")! : o.price,
            cumulativeQuantity: o.executed, commission: .zero, commissionAsset: "USDT", tradeID: trade, isMaker: true, reduceOnly: o.spec.reduceOnly,
            realizedPnL: .zero, eventTime: UnixNanos(millis: (now + wallOffset) / 1_000_000), transactionTime: UnixNanos(millis: (now + wallOffset) / 1_000_000))
    }

    var wallMillis: (Int64) -> Int64 { { ($0 + wallOffset) / 1_000_000 } }

    mutating func accountUpdate(now: Int64) {
        let u = AccountUpdate(
            reason: "ORDER", balances: [],
            positions: [AccountUpdate.Position(symbol: Harness.btc.symbol, quantity: Quantity(raw: position), entryPrice: Price("60000")!, unrealizedPnL: .zero, positionSide: "BOTH")],
            eventTime: UnixNanos(millis: wallMillis(now)), transactionTime: UnixNanos(millis: wallMillis(now)))
        stream(.account(u), now: now)
    }

    /// A fill of `q` of open order `id`: the position moves, the report and the account update go out (in
    /// either order, as Binance may send them).
    mutating func fill(_ id: ClientOrderID, _ q: Quantity, now: Int64) {
        guard var o = open[id] else { return }
        o.executed = o.executed + q
        position += o.spec.side == .buy ? q.raw : -q.raw
        positionTime = wallMillis(now)
        let done = o.executed == o.quantity
        nextTrade += 1
        let r = report(id, o, .trade, done ? .filled : .partiallyFilled, last: q, trade: nextTrade, now: now)
        if chance(0.5) { accountUpdate(now: now) }
        stream(.report(r), now: now)
        if chance(0.5) { accountUpdate(now: now) }
        if done {
            open[id] = nil
            closed[id] = (o, .filled)
        } else {
            open[id] = o
        }
    }

    mutating func refusedForRate(_ now: Int64) -> Bool { now < rateLimitedUntil }

    /// The venue acts on what arrived.
    mutating func process(_ a: OrderAction, sentNanos: Int64, now: Int64) {
        let limited = refusedForRate(now)
        let wait = max(1, (rateLimitedUntil - now) / 1_000_000)
        switch a {
        case .place(let spec):
            let id = spec.clientOrderID
            if limited { return answer(.reply(id, .place, .refused(.rateLimited, code: -1003, retryAfterMillis: wait)), now: now) }
            if now - sentNanos > recvWindowNanos { return answer(.reply(id, .place, .refused(.clockSkew, code: -1021, retryAfterMillis: 0)), now: now) }
            if open[id] != nil || closed[id] != nil { return answer(.reply(id, .place, .refused(.invalid, code: -4116, retryAfterMillis: 0)), now: now) }
            if spec.kind == .postOnlyLimit && faults && chance(0.05) {
                return answer(.reply(id, .place, .refused(.postOnlyWouldCross, code: -5022, retryAfterMillis: 0)), now: now)
            }
            nextVenueID += 1
            var o = Order(spec: spec, quantity: spec.quantity, executed: .zero, price: spec.price, venueID: nextVenueID)
            if spec.kind == .reduceOnlyMarket {
                let reduces = spec.side == .buy ? position < 0 : position > 0
                guard reduces else { return answer(.reply(id, .place, .refused(.invalid, code: -2022, retryAfterMillis: 0)), now: now) }
                o.quantity = Quantity(raw: min(spec.quantity.raw, position.magnitude > UInt64(Int64.max) ? 0 : Int64(position.magnitude)))
                open[id] = o
                answer(.reply(id, .place, .accepted(venueOrder(id, o, .new))), now: now)
                stream(.report(report(id, o, .new, .new, now: now)), now: now)
                fill(id, o.quantity, now: now)
                return
            }
            open[id] = o
            if faults && chance(0.1) {
                answer(.reply(id, .place, .unknown), now: now)
            } else {
                answer(.reply(id, .place, .accepted(venueOrder(id, o, .new))), now: now)
            }
            stream(.report(report(id, o, .new, .new, now: now)), now: now)
        case .cancel(let id):
            if limited { return answer(.reply(id, .cancel, .refused(.rateLimited, code: -1003, retryAfterMillis: wait)), now: now) }
            guard let o = open[id] else { return answer(.reply(id, .cancel, .refused(.unknownOrder, code: -2011, retryAfterMillis: 0)), now: now) }
            open[id] = nil
            closed[id] = (o, .canceled)
            answer(.reply(id, .cancel, .accepted(venueOrder(id, o, .canceled))), now: now)
            stream(.report(report(id, o, .canceled, .canceled, now: now)), now: now)
        case .modify(let id, _, let price, let quantity):
            if limited { return answer(.reply(id, .modify, .refused(.rateLimited, code: -1003, retryAfterMillis: wait)), now: now) }
            guard var o = open[id] else { return answer(.reply(id, .modify, .refused(.unknownOrder, code: -2013, retryAfterMillis: 0)), now: now) }
            guard quantity > o.executed else { return answer(.reply(id, .modify, .refused(.invalid, code: -4005, retryAfterMillis: 0)), now: now) }
            o.price = price
            o.quantity = quantity
            open[id] = o
            answer(.reply(id, .modify, .accepted(venueOrder(id, o, o.executed.raw > 0 ? .partiallyFilled : .new))), now: now)
            stream(.report(report(id, o, .amendment, o.executed.raw > 0 ? .partiallyFilled : .new, now: now)), now: now)
        case .query(let id):
            if limited { return answer(.reply(id, .query, .refused(.rateLimited, code: -1003, retryAfterMillis: wait)), now: now) }
            if let o = open[id] {
                answer(.reply(id, .query, .accepted(venueOrder(id, o, o.executed.raw > 0 ? .partiallyFilled : .new))), now: now)
            } else if let (o, status) = closed[id] {
                answer(.reply(id, .query, .accepted(venueOrder(id, o, status))), now: now)
            } else {
                answer(.reply(id, .query, .refused(.unknownOrder, code: -2013, retryAfterMillis: 0)), now: now)
            }
        case .cancelAll(let token):
            if limited { return answer(.cancelAllReply(token, .refused(.rateLimited, code: -1003, retryAfterMillis: wait)), now: now) }
            if faults && chance(0.1) { return answer(.cancelAllReply(token, .unknown), now: now) }
            cancelEverything(now: now)
            answer(.cancelAllReply(token, .done), now: now)
        case .reconcile(let token):
            if limited { return answer(.reconcileFailed(token, .refused(.rateLimited, code: -1003, retryAfterMillis: wait)), now: now) }
            let orders = open.map { venueOrder($0.key, $0.value, $0.value.executed.raw > 0 ? .partiallyFilled : .new) }
            answer(.reconciled(token, VenueSnapshot(openOrders: orders, position: Quantity(raw: position), entryPrice: Price("60000")!, positionTimeMillis: positionTime)), now: now)
        case .heartbeat(let countdown):
            countdownAt = countdown == 0 ? .max : now + countdown * 1_000_000
        case .journal, .note, .reconnectUserStream:
            break
        }
    }

    mutating func cancelEverything(now: Int64) {
        for (id, o) in open {
            closed[id] = (o, .canceled)
            stream(.report(report(id, o, .canceled, .canceled, now: now)), now: now)
        }
        open.removeAll()
    }

    /// The venue's own life: the dead-man switch, and fills of resting orders by the market.
    mutating func step(now: Int64) {
        if now >= countdownAt {
            countdownAt = .max
            cancelEverything(now: now)
        }
        if let id = open.keys.sorted().first, chance(0.08) {
            let o = open[id]!
            let left = o.quantity.raw - o.executed.raw
            let q = chance(0.5) ? left : max(Harness.btc.stepSize.raw, left / 2)
            fill(id, Quantity(raw: min(q, left)), now: now)
        }
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
