import MMBook
import MMCore

/// The venue's market for one symbol: replays a script against its own order book, re-stamping event
/// times and shifting update IDs so that they keep increasing across loops.
///
/// A loop restart reloads the snapshot and continues with IDs far above the last ones sent, and the first
/// diff's `pu` does not continue the last `u`: clients see a gap and resync from the venue's REST depth,
/// never a silent jump.
public struct SimMarket: Sendable {
    /// What the venue publishes.
    public enum Event: Sendable {
        case depth(DepthUpdate)
        case bookTicker(BookTicker)
        case trade(Trade)
        /// The recording started over (count of completed loops).
        case restarted(loops: Int)
    }

    public let script: MarketScript
    /// The venue's book: the truth clients must rebuild.
    public private(set) var book: OrderBook
    /// Completed loops of the script.
    public private(set) var loops = 0
    /// `u` of the last diff applied (IDs as sent, with the loop's offset).
    public private(set) var lastUpdateID: Int64
    /// Public trades and the candles of trades, mark and index prices.
    public private(set) var tape = MarketTape()
    /// The funding rate of the current period (0.01%, the usual floor of perpetuals), its period,
    /// and the settlements so far.
    public var fundingRate = Ratio(raw: 10_000)
    public var fundingIntervalHours: Int64 = 8
    public private(set) var fundings: [FundingSettlement] = []
    /// Liquidity taken by orders, published as diffs before the next recorded step.
    private var impact: [DepthUpdate] = []
    private var idOffset: Int64 = 0
    private var tradeIDOffset: Int64 = 0
    private var next = 0
    private var loopStart: Int64 = 0

    public init(script: MarketScript) {
        self.script = script
        book = OrderBook(instrument: script.instrument, levelCapacity: 8192)
        book.replace(with: script.snapshot)
        lastUpdateID = script.snapshot.lastUpdateID
    }

    public var symbol: Symbol { script.instrument.symbol }

    /// The mark price: the book's mid (the venue has no index of other exchanges to weigh it against),
    /// unless held elsewhere by `markOverride`.
    public var markPrice: Price { markOverride ?? book.topOfBook(isSynced: true).mid ?? tape.last?.price ?? .zero }
    /// A mark price held away from the mid (for exercising margin calls and liquidations).
    public var markOverride: Price?

    /// Gives the market a kline history ending at `endMillis` (closes oldest first, one per interval).
    public mutating func seedHistory(closes: [Price], intervalMillis: Int64, endingAt endMillis: Int64) {
        tape.seed(closes: closes, intervalMillis: intervalMillis, endingAt: endMillis)
    }

    /// Settles the current period at the current rate and mark, and returns the settlement.
    @discardableResult
    public mutating func settleFunding(nowMillis: Int64) -> FundingSettlement {
        let s = FundingSettlement(rate: fundingRate, markPrice: markPrice, timeMillis: nowMillis)
        fundings.append(s)
        return s
    }

    /// The first funding time after `millis` (periods start at 00:00 UTC).
    public func nextFundingTime(after millis: Int64) -> Int64 {
        let period = fundingIntervalHours * 3_600_000
        return (millis / period + 1) * period
    }

    /// Publishes every step due by `marketNanos` (time since the replay started, already scaled by speed).
    /// Exchange times are stamped with `nowMillis`.
    public mutating func advance(to marketNanos: Int64, nowMillis: Int64, _ emit: (Event) -> Void) {
        for d in impact { emit(.depth(d)) }
        impact.removeAll()
        while true {
            if next == script.timeline.count {
                // Restart only when the clock has reached the end of this loop.
                guard marketNanos >= loopStart + script.duration + 1 else { return }
                restart()
                emit(.restarted(loops: loops))
                continue
            }
            let (at, step) = script.timeline[next]
            guard loopStart + at <= marketNanos else { return }
            next += 1
            switch step {
            case .diff(let i):
                var d = script.diffs[i]
                d.firstUpdateID &+= idOffset
                d.finalUpdateID &+= idOffset
                if d.prevFinalUpdateID != unknownUpdateID { d.prevFinalUpdateID &+= idOffset }
                d.eventTimeMillis = nowMillis
                d.transactionTimeMillis = nowMillis
                book.apply(d)
                lastUpdateID = d.finalUpdateID
                if let mid = book.topOfBook(isSynced: true).mid { tape.sample(mark: mid, index: mid, at: nowMillis) }
                emit(.depth(d))
            case .ticker(let i):
                var t = script.tickers[i]
                t.updateID &+= idOffset
                t.eventTimeMillis = nowMillis
                t.transactionTimeMillis = nowMillis
                emit(.bookTicker(t))
            case .trade(let i):
                var t = script.trades[i]
                t.tradeID &+= tradeIDOffset
                t.eventTimeMillis = nowMillis
                t.transactionTimeMillis = nowMillis
                tape.record(.init(id: t.tradeID, price: t.price, quantity: t.quantity, buyerIsMaker: t.buyerIsMaker, timeMillis: nowMillis))
                emit(.trade(t))
            }
        }
    }

    /// Removes `taken` (price, quantity) from the displayed `side`: the levels an order took are thinner (or
    /// gone) until the recorded market next updates them. The change is a diff of its own, numbered after the
    /// last one sent; the IDs of every later step move up by one so that their `pu` chain continues it.
    public mutating func consume(_ side: BookSide, _ taken: [(Price, Quantity)], nowMillis: Int64) {
        guard !taken.isEmpty else { return }
        let grid = script.instrument.bookGrid
        var d = DepthUpdate(levelCapacity: taken.count)
        d.symbol = symbol
        d.eventTimeMillis = nowMillis
        d.transactionTimeMillis = nowMillis
        d.prevFinalUpdateID = lastUpdateID
        d.firstUpdateID = lastUpdateID + 1
        d.finalUpdateID = lastUpdateID + 1
        for (price, quantity) in taken {
            guard let t = grid.ticks(price) else { continue }
            let left = max(Quantity.zero, grid.quantity(book.lots(side, at: t)) - quantity)
            if side == .bid { d.bids.append(PriceLevel(price: price, quantity: left)) } else { d.asks.append(PriceLevel(price: price, quantity: left)) }
        }
        idOffset += 1
        book.apply(d)
        lastUpdateID = d.finalUpdateID
        impact.append(d)
    }

    private mutating func restart() {
        loops += 1
        loopStart += script.duration + 1
        next = 0
        // Every ID of the new loop lies above every ID already sent, with room to spare.
        let span = (script.diffs.last?.finalUpdateID ?? 0) - (script.diffs.first?.firstUpdateID ?? 0)
        idOffset += span + 1_000_000
        let tradeSpan = (script.trades.map(\.tradeID).max() ?? 0) - (script.trades.map(\.tradeID).min() ?? 0)
        tradeIDOffset += tradeSpan + 1
        book.replace(with: script.snapshot)
        lastUpdateID = script.snapshot.lastUpdateID + idOffset
    }
}

/// One funding settlement of a symbol.
public struct FundingSettlement: Sendable, Equatable {
    public var rate: Ratio
    public var markPrice: Price
    public var timeMillis: Int64
}
