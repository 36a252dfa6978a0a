import MMBook
import MMCore
import MMExecution
import MMRisk
import MMStrategy
import Testing

/// Random interleavings of ticks, replies, reports, faults and operator commands against `VenueModel`: no
/// invariant of the order manager ever breaks.
@Suite("Order manager: invariants under random interleavings")
struct OrderManagerPropertyTests {
    struct Run {
        var h: Harness
        var venue: VenueModel
        var rng: SplitMix
        var placedIDs: Set<ClientOrderID> = []
        var violations: [String] = []
        var halts = 0
        var commands = 0
        var maxTracked = 0
        let netMax: Int64

        init(seed: UInt64) {
            let limits = Harness.limits(netMax: "0.01", dailyMax: "1000000", stopLoss: "-1000000")
            h = Harness(limits: limits) { $0.heartbeatNanos = 2_000_000_000 }
            netMax = limits.maxNetPosition.raw
            venue = VenueModel(seed: seed, wallOffset: h.now.wallMillis * 1_000_000 - h.now.nanos)
            rng = SplitMix(seed: seed ^ 0xABCDEF)
        }

        mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }

        /// Carries out the manager's last actions, checking what it asked for.
        mutating func dispatch() {
            for a in h.take() {
                switch a {
                case .place(let s):
                    if !placedIDs.insert(s.clientOrderID).inserted { violations.append("client order ID \(s.clientOrderID) used twice") }
                    if h.m.tradingState == .halted && s.kind == .postOnlyLimit { violations.append("a quote placed while halted") }
                case .heartbeat(let c):
                    if h.m.tradingState == .halted && c != 0 { violations.append("heartbeat renewed while halted") }
                case .reconnectUserStream:
                    // A new connection: it delivers again.
                    venue.streamSilent = false
                    venue.push(h.now.nanos + 20_000_000, .report(ExecutionReport.connectMarker))
                default: break
                }
                venue.send(a, now: h.now.nanos)
            }
        }

        mutating func deliver(_ m: VenueModel.Message) {
            switch m {
            case .toVenue(let a, let sent): venue.process(a, sentNanos: sent, now: h.now.nanos)
            case .reply(let id, let kind, let r): h.m.reply(id, to: kind, r, at: h.now)
            case .cancelAllReply(let t, let o): h.m.cancelAllReply(token: t, o, at: h.now)
            case .reconciled(let t, let s): h.m.reconciled(token: t, s, at: h.now)
            case .reconcileFailed(let t, let o): h.m.reconcileFailed(token: t, o, at: h.now)
            case .report(let r):
                if r.clientOrderID == ExecutionReport.connectMarker.clientOrderID {
                    h.m.userStream(connected: true, at: h.now)
                } else {
                    h.m.report(r, at: h.now)
                }
            case .account(let u): h.m.account(u, at: h.now)
            }
            dispatch()
        }

        /// The invariants, against the venue's truth.
        mutating func check(_ step: Int) {
            let tracked = Set(h.m.orders.ids)
            for id in venue.open.keys where !tracked.contains(id) {
                violations.append("step \(step): \(id) rests at the venue untracked")
                return
            }
            var buy = venue.position
            var sell = venue.position
            for o in venue.open.values where !o.spec.reduceOnly {
                let left = o.quantity.raw - o.executed.raw
                if o.spec.side == .buy { buy += left } else { sell -= left }
            }
            if buy > netMax || sell < -netMax {
                violations.append("step \(step): worst case \(Quantity(raw: sell))…\(Quantity(raw: buy)) beyond netMax")
            }
            maxTracked = max(maxTracked, tracked.count)
        }

        mutating func run(steps: Int) {
            h.m.venueConfigured(at: h.now)
            h.m.userStream(connected: true, at: h.now)
            dispatch()
            for step in 0..<steps {
                h.advance(ms: Int64(1 + rng.next() % 120))
                venue.step(now: h.now.nanos)
                while let m = venue.pop(dueBy: h.now.nanos) {
                    deliver(m)
                    check(step)
                }
                // The market drifts a little.
                let drift = Int64(rng.next() % 5) - 2
                h.bid = Price(raw: h.bid.raw + drift * Harness.btc.tickSize.raw)
                h.ask = Price(raw: h.bid.raw + 10 * Harness.btc.tickSize.raw)
                if chance(0.3) {
                    var quotes: [Quote] = []
                    for level in 0..<Int(rng.next() % 3) {
                        let off = Int64(level + 1) * 2 * Harness.btc.tickSize.raw
                        quotes.append(Quote(side: .buy, price: Price(raw: h.bid.raw - off), quantity: Quantity("0.002")!))
                        quotes.append(Quote(side: .sell, price: Price(raw: h.ask.raw + off), quantity: Quantity("0.003")!))
                    }
                    h.m.tick(QuoteIntent(quotes: quotes), market: h.market, at: h.now)
                } else {
                    h.m.timer(h.now, market: h.market)
                }
                dispatch()
                // Faults and the operator.
                if chance(0.004) { venue.rateLimitedUntil = h.now.nanos + Int64(500 + rng.next() % 5_000) * 1_000_000 }
                if chance(0.003) {
                    h.m.userStream(connected: false, at: h.now)
                    dispatch()
                    venue.push(h.now.nanos + Int64(rng.next() % 2_000) * 1_000_000, .report(ExecutionReport.connectMarker))
                }
                if chance(0.002) { venue.streamSilent = true }
                if chance(0.006) {
                    commands += 1
                    let c: [OrderManager.Command] = [.halt, .resume, .resume, .cancelAll, .flatten]
                    let command = c[Int(rng.next() % UInt64(c.count))]
                    if command == .halt || command == .flatten { halts += 1 }
                    h.m.command(command, at: h.now)
                    dispatch()
                }
                check(step)
            }
        }

        /// Faults stop, the operator halts: within a short while the venue holds none of our orders and
        /// the manager knows it.
        mutating func haltAndSettle() {
            venue.faults = false
            venue.streamSilent = false
            venue.rateLimitedUntil = 0
            h.m.command(.halt, at: h.now)
            dispatch()
            for step in 0..<3_000 {
                h.advance(ms: 10)
                while let m = venue.pop(dueBy: h.now.nanos) { deliver(m) }
                h.m.timer(h.now, market: h.market)
                dispatch()
                check(100_000 + step)
                if h.m.haltConfirmed && venue.open.isEmpty { return }
            }
            violations.append("halt not confirmed 30 s after the faults stopped: \(venue.open.count) open at the venue, \(h.m.openOrderCount) tracked")
        }
    }

    @Test(arguments: Array(UInt64(1)...UInt64(40)))
    func noInvariantBreaks(seed: UInt64) {
        var run = Run(seed: seed)
        run.run(steps: 3_000)
        run.haltAndSettle()
        // print("seed \(seed): placed \(run.placedIDs.count) fills \(run.h.m.keeper.fillCount) halts \(run.halts) unknown \(run.h.m.counters.unknownOutcomes) adopted \(run.h.m.counters.adopted) silences \(run.h.m.counters.userStreamSilences) corrections \(run.h.m.counters.positionCorrections) maxTracked \(run.maxTracked) cancelAlls \(run.h.m.counters.cancelAllsSent) riskRej \(run.h.m.riskRejections)")
        #expect(run.violations.count == 0, "\(run.violations.prefix(3))")
        #expect(run.placedIDs.count > 20, "the run traded (\(run.placedIDs.count) orders)")
    }
}

extension ExecutionReport {
    /// A marker the property test's user stream uses to say "connected".
    static let connectMarker = ExecutionReport(
        symbol: Symbol("BTCUSDT")!, clientOrderID: "<connected>", venueOrderID: VenueOrderID(0), side: .buy, orderType: "", timeInForce: "",
        quantity: .zero, price: .zero, averagePrice: .zero, stopPrice: .zero, execution: .new, status: .new, lastQuantity: .zero, lastPrice: .zero,
        cumulativeQuantity: .zero, commission: .zero, commissionAsset: "", tradeID: 0, isMaker: false, reduceOnly: false, realizedPnL: .zero,
        eventTime: UnixNanos(0), transactionTime: UnixNanos(0))
}
