import MMAccounts
import MMBinanceWire
import MMCore
import MMRebalance
import MMVenueClients
import MMVenue

/// Carries out rebalance runs: feeds `RebalanceRun` the venue's answers, waits where it says, writes its
/// events as JSON lines, and stores orders, trades, balances, the position and every run.
public final class RebalanceService: Sendable {
    public let config: RebalanceConfig
    let client: SpotRESTClient
    let account: String
    let storage: any TradingRecordStorage
    public let metrics: RebalanceMetrics
    let output: @Sendable (String) -> Void
    let sleep: @Sendable (Int64) async -> Void
    let clock: @Sendable () -> Int64

    /// `output` takes each JSON event line; `sleep` waits milliseconds; `clock` reads Unix milliseconds.
    public init(
        config: RebalanceConfig, client: SpotRESTClient, account: String, storage: any TradingRecordStorage, metrics: RebalanceMetrics = RebalanceMetrics(),
        output: @escaping @Sendable (String) -> Void,
        sleep: @escaping @Sendable (Int64) async -> Void = { ms in try? await Task.sleep(nanoseconds: UInt64(max(0, ms)) * 1_000_000) },
        clock: @escaping @Sendable () -> Int64 = { UnixNanos.now().millis }
    ) {
        self.config = config
        self.client = client
        self.account = account
        self.storage = storage
        self.metrics = metrics
        self.output = output
        self.sleep = sleep
        self.clock = clock
    }

    /// Why a run could not start.
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The market the configuration names, as the venue lists it now.
    func market() async throws(StartError) -> MarketSpec {
        var listed: [MarketSpec] = []
        var attempt = 1
        while true {
            do {
                listed = try await client.markets().markets
                break
            } catch {
                metrics.apiError(code: error.code, endpoint: "exchangeInfo")
                guard case .retry(let after) = config.retry.decide(after: attempt, error.kind, nature: .read) else {
                    throw StartError(description: "cannot read \(client.venue.rawValue)'s markets: \(error) (\(error.kind))")
                }
                line(#""event":"rebalance_error","run":null,"endpoint":"exchangeInfo","code":\#(error.code.map(String.init) ?? "null"),"message":\#(JSONString.quoted(error.message)),"next":"retry in \#(after) ms""#)
                await sleep(after)
                attempt += 1
            }
        }
        guard let m = listed.first(where: { $0.venueSymbol == config.symbol }) else {
            throw StartError(description: "\(client.venue.rawValue) lists no spot market \(config.symbol)")
        }
        return m
    }

    /// One run, start to complete.
    public func runOnce() async throws(StartError) -> RebalanceResult {
        let market = try await market()
        let runID: UInt64
        let cost: Price
        do {
            runID = try storage.nextRunID()
            cost = try storage.position(venue: market.venue, symbol: market.venueSymbol)?.averageCost ?? config.initialAverageCost
        } catch {
            throw StartError(description: "the store: \(error)")
        }
        var run = RebalanceRun(runID: runID, rules: config.rules, market: market, averageCost: cost, policy: config.retry)
        run.maxPolls = config.maxPolls
        run.maxTrackMillis = Int64(config.maxTrackSeconds) * 1000
        run.dryRun = config.dryRun
        var pending = run.handle(.start, nowMillis: clock())
        while !pending.isEmpty {
            let action = pending.removeFirst()
            switch action {
            case .send(let request, let after):
                if after > 0 { await sleep(after) }
                let input = await perform(request, market: market)
                if case .failed(_, _, let code, _) = input { metrics.apiError(code: code, endpoint: request.endpoint) }
                pending += run.handle(input, nowMillis: clock())
            case .resyncClock:
                // The client stamps requests with this machine's clock; the venue's is read for the log.
                if let t = try? await client.serverTime() { line(#""event":"clock_offset","offset_ms":\#(t - clock())"#) }
            case .emit(let event):
                record(event, market: market, runID: runID)
            case .finish(let result):
                await finish(result, market: market)
                return result
            }
        }
        throw StartError(description: "the run stopped without a result")
    }

    private func perform(_ request: RebalanceRequest, market: MarketSpec) async -> RebalanceInput {
        let symbol = market.venueSymbol
        do throws(VenueFailure) {
            switch request {
            case .balances:
                let b = try await client.balances()
                try? storage.replaceBalances(account: account, b, nowMillis: clock())
                let base = b[market.base]?.free ?? .zero
                return .balances(base: Quantity(raw: base.raw), quote: b[market.quote]?.free ?? .zero)
            case .klines:
                let k = try await client.klines(symbol: symbol, interval: config.klineInterval, limit: config.klineLimit)
                return .klines(closes: k.map(\.close))
            case .book:
                let t = try await client.bookTicker(symbol: symbol)
                return .book(bid: t.bid, ask: t.ask)
            case .place(let o):
                let ref = try await client.placeLimit(symbol: symbol, side: o.side, price: o.price, quantity: o.quantity, clientOrderID: o.clientOrderID)
                return .placed(ref)
            case .query(let id):
                let s = try await client.order(symbol: symbol, clientOrderID: id)
                return .order(s.status, executed: s.executed, averagePrice: s.averagePrice, ref: s.ref)
            case .cancel(let id):
                _ = try await client.cancel(symbol: symbol, clientOrderID: id)
                return .cancelled
            }
        } catch {
            return .failed(request, error.kind, code: error.code, message: error.message)
        }
    }

    private func line(_ body: String) {
        output(#"{"ts":\#(clock()),\#(body)}"#)
    }

    private func record(_ event: RebalanceLogEvent, market: MarketSpec, runID: UInt64) {
        let venue = market.venue
        switch event {
        case .rebalanceStart(let id):
            line(#""event":"rebalance_start","run":\#(id),"venue":"\#(venue.rawValue)","symbol":"\#(market.venueSymbol)","dry_run":\#(config.dryRun)"#)
        case .orderSubmitted(let o):
            line(#""event":"order_submitted","run":\#(runID),"side":"\#(o.side)","price":"\#(o.price)","quantity":"\#(o.quantity)","client_order_id":"\#(o.clientOrderID)""#)
            try? storage.upsert(OrderRecord(
                venue: venue, account: account, symbol: market.venueSymbol, clientOrderID: o.clientOrderID, venueOrderID: nil, side: o.side, price: o.price,
                quantity: o.quantity, executed: .zero, status: "NEW", updatedAtMillis: clock()))
        case .orderFilled(let o, let executed, let price):
            line(#""event":"order_filled","run":\#(runID),"side":"\#(o.side)","executed":"\#(executed)","quantity":"\#(o.quantity)","price":"\#(price)","client_order_id":"\#(o.clientOrderID)""#)
        case .positionUpdated(let before, let after):
            line(#""event":"position_updated","run":\#(runID),"base_before":"\#(before.base)","base_after":"\#(after.base)","quote_before":"\#(before.quote)","quote_after":"\#(after.quote)","average_cost_before":"\#(before.averageCost)","average_cost_after":"\#(after.averageCost)""#)
        case .rebalanceError(let endpoint, let code, let message, let next):
            line(#""event":"rebalance_error","run":\#(runID),"endpoint":"\#(endpoint)","code":\#(code.map(String.init) ?? "null"),"message":\#(JSONString.quoted(message)),"next":"\#(next)""#)
        }
    }

    private func finish(_ r: RebalanceResult, market: MarketSpec) async {
        let venue = market.venue
        let now = clock()
        if let o = r.order, !config.dryRun {
            // The order's last known state, and the venue's own trades of it.
            let state = try? await client.order(symbol: market.venueSymbol, clientOrderID: o.clientOrderID)
            try? storage.upsert(OrderRecord(
                venue: venue, account: account, symbol: market.venueSymbol, clientOrderID: o.clientOrderID, venueOrderID: (state?.ref ?? r.orderRef)?.description,
                side: o.side, price: o.price, quantity: o.quantity, executed: state?.executed ?? r.executed, status: state?.status.venueStatus ?? r.status.rawValue,
                updatedAtMillis: now))
            if r.executed.raw > 0, let ref = state?.ref ?? r.orderRef, let trades = try? await client.myTrades(symbol: market.venueSymbol) {
                _ = try? storage.insertNew(trades.filter { $0.orderRef == ref }.map { t in
                    TradeRecord(
                        venue: venue, account: account, symbol: market.venueSymbol, tradeID: t.tradeID, venueOrderID: ref.description, side: t.side, price: t.price,
                        quantity: t.quantity, fee: t.commission, feeAsset: t.commissionAsset, timeMillis: t.timeMillis)
                })
            }
        }
        if let after = r.after, r.executed.raw > 0 {
            try? storage.setPosition(venue: venue, symbol: market.venueSymbol, PositionRecord(base: after.base, averageCost: after.averageCost, updatedAtMillis: now))
        } else if let before = r.before, (try? storage.position(venue: venue, symbol: market.venueSymbol)) == nil {
            try? storage.setPosition(venue: venue, symbol: market.venueSymbol, PositionRecord(base: before.base, averageCost: before.averageCost, updatedAtMillis: now))
        }
        if r.executed.raw > 0, let b = try? await client.balances() { try? storage.replaceBalances(account: account, b, nowMillis: now) }
        try? storage.recordRun(
            id: r.runID, venue: venue, symbol: market.venueSymbol, status: r.status.rawValue, action: r.action, startedAtMillis: r.startMillis, endedAtMillis: r.endMillis,
            json: r.json)
        metrics.record(r, baseAsset: market.base, quoteAsset: market.quote)
    }
}
