import Benchmark
import MMBinance
import MMBinanceAuth
import MMBinanceWire
import MMBook
import MMCore
import MMExecution
import MMRing
import MMRisk
import MMStrategy
import BenchSupport

/// The engine's per-tick and per-order paths: strategy tick → reconcile → risk check on the gateway, signing
/// and encoding an order, and the ingest path up to the published top of book.
func engineBenchmarks(_ perMessage: Benchmark.Configuration) {
    let data = MarketData.shared
    // Every top of book the recording goes through, in order.
    let tops: [TopOfBook] = {
        var book = OrderBook(instrument: data.instrument)
        book.replace(with: data.snapshot)
        return data.updates.map { u in
            book.apply(u)
            return book.topOfBook(isSynced: true)
        }
    }()
    let btc = data.instrument
    let limits = RiskLimits(
        maxOrderNotional: Notional(units: 1000), maxNetPosition: Quantity("0.01")!, dailyLossLimit: Notional(units: 50),
        stopLoss: Notional(units: -100), maxDrawdown: Notional(units: 80), maxOrdersPerSecond: 1_000_000, maxOpenOrders: 10)

    /// The strategy tick through the order manager as the gateway runs it: quote, reconcile with the orders
    /// that may rest, risk-check and journal each new one, and take the venue's acknowledgements of them.
    func tickBenchmark<M: Strategy>(_ name: String, _ makeModel: @escaping @Sendable () -> M) {
        Benchmark(name, configuration: perMessage) { benchmark in
            var model = makeModel()
            var bench = ManagerBench(
                instrument: btc, limits: limits, reconciler: QuoteReconciler(tickSize: btc.tickSize, priceToleranceTicks: 2))
            var intent = QuoteIntent()
            var next = 0
            var now: Int64 = 0
            // Warm: the first quotes rest.
            model.quote(MarketView(top: tops[0], position: .zero, nowNanos: 0), into: &intent)
            bench.tick(intent, top: tops[0], nowNanos: 0)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                now &+= 250_000_000
                let top = tops[next]
                model.quote(MarketView(top: top, position: bench.manager.position, nowNanos: now), into: &intent)
                bench.tick(intent, top: top, nowNanos: now)
                next += 1
                if next == tops.count { next = 0 }
            }
            blackHole(bench.placed)
        }
    }

    // The signals of every update, as the ingest thread publishes them with the top of book.
    let signals: [MarketSignals] = {
        var book = OrderBook(instrument: data.instrument)
        book.replace(with: data.snapshot)
        var tracker = SignalTracker(levels: 5)
        return data.updates.map { u in
            book.apply(u)
            tracker.observe(book: book)
            return tracker.signals(at: 0)
        }
    }()

    Benchmark("Signals: imbalance over 5 levels + microprice after each diff (real BTCUSDT diffs, apply included)", configuration: perMessage) { benchmark in
        var book = OrderBook(instrument: data.instrument)
        book.replace(with: data.snapshot)
        var tracker = SignalTracker(levels: 5)
        var next = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            book.apply(data.updates[next])
            tracker.observe(book: book)
            next += 1
            if next == data.updates.count {
                next = 0
                book.replace(with: data.snapshot)
            }
        }
        blackHole(tracker.signals(at: 0))
    }

    Benchmark("Strategy tick with signals + reconcile + risk check (alpha, real BTCUSDT tops and signals)", configuration: perMessage) { benchmark in
        let ladder = QuoteLadder(instrument: btc, baseSize: Quantity("0.002")!, maxPosition: Quantity("0.01")!)
        var model = AlphaQuoter(
            glft: GLFTQuoter(ladder: ladder, gamma: 0.02, kappa: 20, arrivalRate: 1, minHalfSpreadTicks: 0.3), imbalanceTicks: 120, flowTicks: 150)
        var bench = ManagerBench(instrument: btc, limits: limits, reconciler: QuoteReconciler(tickSize: btc.tickSize, priceToleranceTicks: 2))
        var intent = QuoteIntent()
        var next = 0
        var now: Int64 = 0
        model.quote(MarketView(top: tops[0], position: .zero, nowNanos: 0, signals: signals[0]), into: &intent)
        bench.tick(intent, top: tops[0], nowNanos: 0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            now &+= 250_000_000
            let top = tops[next]
            model.quote(MarketView(top: top, position: bench.manager.position, nowNanos: now, signals: signals[next]), into: &intent)
            bench.tick(intent, top: top, nowNanos: now)
            next += 1
            if next == tops.count { next = 0 }
        }
        blackHole(bench.placed)
    }

    tickBenchmark("Strategy tick + reconcile + risk check (fixed spread, real BTCUSDT tops)") {
        (FixedSpreadQuoter(instrument: btc, halfSpreadBps: 0.5, baseSize: Quantity("0.002")!, skewBps: 1, maxPosition: Quantity("0.01")!))
    }
    tickBenchmark("Strategy tick + reconcile + risk check (GLFT, 2 levels, real BTCUSDT tops)") {
        (GLFTQuoter(
            ladder: QuoteLadder(instrument: btc, baseSize: Quantity("0.002")!, levels: 2, levelSpacingTicks: 10, maxPosition: Quantity("0.01")!),
            gamma: 0.1, kappa: 1.5, arrivalRate: 1))
    }

    Benchmark("Sign + encode one order (HMAC-SHA256, WebSocket API JSON)", configuration: perMessage) { benchmark in
        let signer = HMACSigner(secret: "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
        let encoder = OrderRequestEncoder()
        let prefix = ClientOrderID("mmq-mwrimpdl-")!
        let id: StaticString = "p-mmq-mwrimpdl-1"
        var hex: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var bytes = 0
        var seq: UInt64 = 0
        for _ in benchmark.scaledIterations {
            seq += 1
            let r = OrderRequest(
                kind: .placeLimit, symbol: btc.symbol, side: .buy, price: Price(raw: 6_394_075_000_000 + Int64(seq % 100) * 1_000_000),
                quantity: Quantity("0.002")!, clientOrderID: ClientOrderID(prefix: prefix, sequence: seq)!)
            encoder.encode(r, apiKey: "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83", timestamp: 1_795_332_524_276 + Int64(seq), recvWindow: 5000)
            withUnsafeMutableBytes(of: &hex) { h in
                signer.sign(encoder.payload, hexInto: h)
                id.withUTF8Buffer { i in
                    bytes &+= encoder.webSocketJSON(id: UnsafeRawBufferPointer(i), method: r.method, signature: UnsafeRawBufferPointer(h)).count
                }
            }
        }
        blackHole(bytes)
    }

    Benchmark("Frame bytes → synced book → MarketView published (seqlock, receive time)", configuration: perMessage) { benchmark in
        var synced = SyncedBook(instrument: data.instrument)
        var message = MarketMessage()
        let published = SeqLock(PublishedTop(top: .empty, receivedNanos: 0))
        func restart() { data.resync(&synced) }
        restart()
        var next = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let kind = try? MarketDecoder.decode(data.frames[next], into: &message)
            if kind == .depthUpdate, synced.onDiff(message.depth) == .applied {
                published.store(PublishedTop(top: synced.topOfBook, receivedNanos: MonotonicInstant.now().nanos))
            }
            next += 1
            if next == data.frames.count {
                benchmark.stopMeasurement()
                next = 0
                restart()
                benchmark.startMeasurement()
            }
        }
        blackHole(published.load())
    }

    Benchmark("Reconcile (desired quotes vs resting orders, real BTCUSDT tops)", configuration: perMessage) { benchmark in
        var model = FixedSpreadQuoter(instrument: btc, halfSpreadBps: 0.5, baseSize: Quantity("0.002")!, skewBps: 1, maxPosition: Quantity("0.01")!)
        let reconciler = QuoteReconciler(tickSize: btc.tickSize, priceToleranceTicks: 2)
        let intents: [QuoteIntent] = tops.prefix(4096).map { model.quote(MarketView(top: $0, position: .zero)) }
        var open = FixedList<OpenOrder>()
        let first = intents[0]
        for i in 0..<first.count {
            _ = open.append(OpenOrder(clientOrderID: ClientOrderID(prefix: ClientOrderID("mmq-b-")!, sequence: UInt64(i))!, side: first[i].side,
                price: first[i].price, remaining: first[i].quantity))
        }
        var commands = FixedList<OrderCommand>()
        var total = 0
        var next = 0
        for _ in benchmark.scaledIterations {
            reconciler.reconcile(desired: intents[next], open: &open, into: &commands)
            total &+= commands.count
            next = (next + 1) & 4095
        }
        blackHole(total)
    }

    Benchmark("Risk check (one order, real BTCUSDT tops)", configuration: perMessage) { benchmark in
        var gate = RiskGate(instrument: btc, limits: limits)
        var accepted = 0
        var next = 0
        var now: Int64 = 0
        for _ in benchmark.scaledIterations {
            let top = tops[next]
            now &+= 1_000_000
            let context = RiskContext(
                position: Quantity("0.002")!, openBuy: Quantity("0.002")!, openSell: .zero, openOrders: 1, realizedToday: Notional("-1.5")!,
                unrealized: Notional("0.2")!, top: top, nowNanos: now)
            if gate.check(OrderIntent(side: .sell, price: top.askPrice, quantity: Quantity("0.002")!), context) == .accept { accepted += 1 }
            next += 1
            if next == tops.count { next = 0 }
        }
        blackHole(accepted)
    }

    Benchmark("End to end: frame bytes → book → strategy tick → reconcile → risk → signed order bytes", configuration: perMessage) { benchmark in
        var synced = SyncedBook(instrument: data.instrument)
        var message = MarketMessage()
        var model = FixedSpreadQuoter(instrument: btc, halfSpreadBps: 0.5, baseSize: Quantity("0.002")!, skewBps: 1, maxPosition: Quantity("0.01")!)
        var bench = ManagerBench(instrument: btc, limits: limits, reconciler: QuoteReconciler(tickSize: btc.tickSize, priceToleranceTicks: 2))
        let signer = HMACSigner(secret: "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
        let encoder = OrderRequestEncoder()
        let apiKey = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
        let id: StaticString = "17"
        var hex: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var intent = QuoteIntent()
        var bytes = 0
        var now: Int64 = 0
        func restart() { data.resync(&synced) }
        func signAndEncode(_ r: OrderRequest) {
            encoder.encode(r, apiKey: apiKey, timestamp: 1_795_332_524_276 + now / 1_000_000, recvWindow: 5000)
            withUnsafeMutableBytes(of: &hex) { h in
                signer.sign(encoder.payload, hexInto: h)
                id.withUTF8Buffer { i in
                    bytes &+= encoder.webSocketJSON(id: UnsafeRawBufferPointer(i), method: r.method, signature: UnsafeRawBufferPointer(h)).count
                }
            }
        }
        restart()
        var next = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            now &+= 10_000_000
            let kind = try? MarketDecoder.decode(data.frames[next], into: &message)
            if kind == .depthUpdate, synced.onDiff(message.depth) == .applied {
                // Every book change is quoted on at once: the worst case of requoting on each move.
                let top = synced.topOfBook
                model.quote(MarketView(top: top, position: bench.manager.position, nowNanos: now), into: &intent)
                bench.tick(intent, top: top, nowNanos: now) { action in
                    switch action {
                    case .place(let s):
                        signAndEncode(OrderRequest(kind: .placeLimit, symbol: btc.symbol, side: s.side, price: s.price, quantity: s.quantity, clientOrderID: s.clientOrderID))
                    case .cancel(let cid):
                        signAndEncode(OrderRequest(kind: .cancel, symbol: btc.symbol, clientOrderID: cid))
                    default:
                        break
                    }
                }
            }
            next += 1
            if next == data.frames.count {
                benchmark.stopMeasurement()
                next = 0
                restart()
                benchmark.startMeasurement()
            }
        }
        blackHole(bytes)
    }
}
