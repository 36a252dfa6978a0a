import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import MMBacktest
import MMBook
import MMCore
import MMExecution
import MMRisk
import MMReplay
import MMSimCore
import MMStrategy
import TestSupport
import Testing

/// Quotes one lot at the best bid and the best ask, always: every fill must come from a recorded trade.
struct AtTheTouch: Strategy {
    let size: Quantity
    mutating func quote(_ view: MarketView, into intent: inout QuoteIntent) {
        intent.removeAll()
        guard view.top.isSynced, view.top.hasBid, view.top.hasAsk else { return }
        _ = intent.append(Quote(side: .buy, price: view.top.bidPrice, quantity: size))
        _ = intent.append(Quote(side: .sell, price: view.top.askPrice, quantity: size))
    }
}

@Suite("Backtest")
struct BacktestTests {
    static let session = [Fixtures.recording("btcusdt_20240718.gz")]

    func settings(_ instrument: Instrument, netMax: String = "1000") -> BacktestSettings {
        let limits = RiskLimits(
            maxOrderNotional: Notional(units: 1_000_000), maxNetPosition: Quantity(netMax)!, dailyLossLimit: Notional(units: 1_000_000),
            stopLoss: Notional(units: -1_000_000), maxDrawdown: Notional(units: 1_000_000), maxOrdersPerSecond: 1000, maxOpenOrders: 10)
        var s = BacktestSettings(limits: limits, reconciler: QuoteReconciler(tickSize: instrument.tickSize))
        s.quoteIntervalNanos = 100_000_000
        return s
    }

    @Test("zero latency, quotes at the touch: every fill lines up with a recorded trade")
    func fillsLineUpWithTrades() throws {
        let script = try #require(try MarketScript.load(paths: Self.session).first)
        var bt = Backtester(script: script, model: AtTheTouch(size: Quantity("0.001")!), settings: settings(script.instrument))
        let r = bt.run()
        #expect(r.fills.count >= 10, "the touch trades often in three minutes")
        // Each fill happens at the time of a recorded trade, on the side that trade took from, at a price the
        // trade reached (at ours, or through it).
        var tradesAt: [Int64: [Trade]] = [:]
        for (at, step) in script.timeline {
            if case .trade(let i) = step { tradesAt[at, default: []].append(script.trades[i]) }
        }
        for f in r.fills {
            let trades = tradesAt[f.nanos] ?? []
            let match = trades.contains { t in
                f.side == .buy ? (t.buyerIsMaker && t.price <= f.price) : (!t.buyerIsMaker && t.price >= f.price)
            }
            #expect(match, "fill \(f.side) \(f.quantity)@\(f.price) at \(f.nanos) has no recorded trade")
            #expect(f.maker)
        }
        // And the queue is respected: at our price, a fill never exceeds what traded there beyond the
        // displayed size (at the touch with 0.001 against whole-book queues, most trades fill nothing).
        #expect(r.fills.count < r.trades)
    }

    @Test("latency makes fills rarer, never more; fees are the venue's maker rate")
    func latencyAndFees() throws {
        let script = try #require(try MarketScript.load(paths: Self.session).first)
        var fast = Backtester(script: script, model: AtTheTouch(size: Quantity("0.001")!), settings: settings(script.instrument))
        var slowSettings = settings(script.instrument)
        slowSettings.feedLatencyNanos = 50_000_000
        slowSettings.orderLatencyNanos = 50_000_000
        var slow = Backtester(script: script, model: AtTheTouch(size: Quantity("0.001")!), settings: slowSettings)
        let a = fast.run()
        let b = slow.run()
        #expect(b.fills.count <= a.fills.count && b.venueRejects[-5022, default: 0] > 0, "late orders cross and are refused (GTX)")
        for f in a.fills {
            let notional = Notional(price: f.price, quantity: f.quantity)!
            #expect(f.fee == Notional(raw: notional.raw * 2 / 10_000), "0.02 % maker fee")
        }
        #expect(a.fees == a.fills.reduce(Notional.zero) { $0 + $1.fee })
    }

    @Test("the risk gate holds in a backtest: inventory never beyond netMax, rejections counted")
    func riskHolds() throws {
        let script = try #require(try MarketScript.load(paths: Self.session).first)
        var bt = Backtester(script: script, model: AtTheTouch(size: Quantity("0.001")!), settings: settings(script.instrument, netMax: "0.002"))
        let r = bt.run()
        #expect(r.maxAbsPosition <= Quantity("0.002")!)
        #expect((r.riskRejects["POSITION_LIMIT"] ?? 0) > 0 || r.maxAbsPosition < Quantity("0.002")!)
        #expect(r.samples.count > 100 && r.samples.allSatisfy { $0.position.clampedMagnitude <= Quantity("0.002")! })
    }

    @Test("report and chart: JSON with every figure, an SVG that parses")
    func reportAndChart() throws {
        let script = try #require(try MarketScript.load(paths: Self.session).first)
        var bt = Backtester(script: script, model: AtTheTouch(size: Quantity("0.001")!), settings: settings(script.instrument))
        let r = bt.run()
        let json = r.json(session: "btcusdt_20240718", model: "touch", cpuSeconds: 0.1)
        let doc = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        for key in ["pnl_net", "fees", "fills", "maker_share", "turnover", "max_abs_inventory", "time_at_limit_share", "sharpe_per_hour",
            "max_drawdown", "risk_rejects_by_code", "venue_rejects_by_code"]
        {
            #expect(doc?[key] != nil, "\(key) missing")
        }
        let svg = BacktestChart.svg(r, title: "BTCUSDT <touch> & co")
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "well-formed SVG: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(svg.contains("<polyline") && svg.contains("<polygon"), "lines and fill markers")
    }
}
