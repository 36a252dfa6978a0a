import MMBook
import MMCore
import MMExecution
import MMRisk
import MMStrategy

/// The order manager as the gateway runs it each tick, with a venue that acknowledges at once what it is
/// sent (the WebSocket API's answers), for the benchmarks and callgrind loops.
public struct ManagerBench {
    public var manager: OrderManager
    private var batch: [OrderAction] = []
    private var venueID: Int64 = 0
    public private(set) var placed = 0
    public private(set) var cancelled = 0
    public static let day: Int64 = 1_780_000_000_000 - 1_780_000_000_000 % 86_400_000

    public init(instrument: Instrument, limits: RiskLimits, reconciler: QuoteReconciler) {
        var c = OrderManager.Configuration(
            instrument: instrument, limits: limits, reconciler: reconciler, runPrefix: ClientOrderID("mmq-bench-")!, ownPrefix: ClientOrderID("mmq-")!)
        c.heartbeatNanos = 0
        c.userEventTimeoutNanos = 0
        manager = OrderManager(c)
        batch.reserveCapacity(256)
        let start = Moment(nanos: 0, wallMillis: Self.day)
        manager.restore(PnLFigures(), at: start)
        manager.venueConfigured(at: start)
        manager.userStream(connected: true, at: start)
        manager.takeActions(into: &batch)
        for a in batch {
            if case .reconcile(let token) = a {
                manager.reconciled(token: token, VenueSnapshot(openOrders: [], position: .zero, entryPrice: .zero, positionTimeMillis: 0), at: start)
            }
        }
        batch.removeAll(keepingCapacity: true)
        _ = manager.drainActions()
    }

    /// One strategy tick through the manager, and the venue's answers to what it sent.
    @inline(__always)
    public mutating func tick(_ intent: QuoteIntent, top: TopOfBook, nowNanos: Int64) {
        tick(intent, top: top, nowNanos: nowNanos) { _ in }
    }

    /// The same, handing each action to `send` (to sign and encode it) before the venue answers.
    @inline(__always)
    public mutating func tick(_ intent: QuoteIntent, top: TopOfBook, nowNanos: Int64, send: (OrderAction) -> Void) {
        let now = Moment(nanos: nowNanos, wallMillis: Self.day + nowNanos / 1_000_000)
        manager.tick(intent, market: MarketState(top: top, ageNanos: 1_000_000), at: now)
        manager.takeActions(into: &batch)
        for i in 0..<batch.count {
            send(batch[i])
            switch batch[i] {
            case .place(let s):
                venueID += 1
                placed += 1
                manager.reply(s.clientOrderID, to: .place, .accepted(VenueOrder(
                    clientOrderID: s.clientOrderID, venueOrderID: VenueOrderID(venueID), side: s.side, price: s.price, quantity: s.quantity,
                    executed: .zero, status: .new)), at: now)
            case .cancel(let id):
                cancelled += 1
                if let o = manager.orders[id] {
                    manager.reply(id, to: .cancel, .accepted(VenueOrder(
                        clientOrderID: id, venueOrderID: o.venueOrderID, side: o.side, price: o.price, quantity: o.quantity, executed: o.filled,
                        status: .canceled)), at: now)
                }
            default:
                break
            }
        }
        batch.removeAll(keepingCapacity: true)
        manager.takeActions(into: &batch)
        batch.removeAll(keepingCapacity: true)
    }
}
