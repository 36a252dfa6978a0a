import MMBook
import MMCore

/// A seeded synthetic market: a random-walk mid with a one-tick spread, a book of `depth` levels a side
/// that changes near the touch, trades when the mid moves, and a bookTicker for every diff. Same seed,
/// same market; it feeds the venue exactly as a recording does.
public enum SyntheticMarket {
    /// What to generate.
    public struct Spec: Sendable, Equatable {
        public var seed: UInt64 = 1
        /// Length of one loop, seconds.
        public var seconds: Double = 300
        /// One diff every this many milliseconds.
        public var intervalMillis: Int64 = 50
        public var startPrice = Price(units: 60_000)
        /// Levels on each side of the starting book.
        public var depth = 500

        public init(seed: UInt64 = 1, seconds: Double = 300, intervalMillis: Int64 = 50, startPrice: Price = Price(units: 60_000), depth: Int = 500) {
            self.seed = seed
            self.seconds = seconds
            self.intervalMillis = intervalMillis
            self.startPrice = startPrice
            self.depth = depth
        }
    }

    /// The script for `instrument` (its tick and step are the grid).
    public static func script(_ spec: Spec, instrument: Instrument) -> MarketScript {
        var rng = SimRandom(seed: spec.seed)
        let tick = instrument.tickSize.raw
        let step = instrument.stepSize.raw
        func size() -> Int64 { (1 + Int64(rng.next() % 2000)) * step }
        var bids: [Int64: Int64] = [:]  // ticks → raw quantity
        var asks: [Int64: Int64] = [:]
        var bestBid = spec.startPrice.raw / tick
        for i in 0..<spec.depth {
            bids[bestBid - Int64(i)] = size()
            asks[bestBid + 1 + Int64(i)] = size()
        }
        var snapshot = DepthSnapshot(levelCapacity: spec.depth)
        snapshot.symbol = instrument.symbol
        var id: Int64 = 1_000_000
        snapshot.lastUpdateID = id
        snapshot.bids = LevelList(bids.sorted { $0.key > $1.key }.map { PriceLevel(price: Price(raw: $0.key * tick), quantity: Quantity(raw: $0.value)) })
        snapshot.asks = LevelList(asks.sorted { $0.key < $1.key }.map { PriceLevel(price: Price(raw: $0.key * tick), quantity: Quantity(raw: $0.value)) })

        var diffs: [DepthUpdate] = []
        var tickers: [BookTicker] = []
        var trades: [Trade] = []
        var timeline: [(at: Int64, step: MarketScript.Step)] = []
        var tradeID: Int64 = 1
        let steps = Int(spec.seconds * 1000) / Int(spec.intervalMillis)
        for n in 1...max(1, steps) {
            let at = Int64(n) * spec.intervalMillis * 1_000_000
            var changed: [Bool: [Int64: Int64]] = [true: [:], false: [:]]  // isBid → ticks → qty (0 removes)
            func set(_ isBid: Bool, _ t: Int64, _ q: Int64) {
                if isBid { bids[t] = q == 0 ? nil : q } else { asks[t] = q == 0 ? nil : q }
                changed[isBid]![t] = q
            }
            // The mid walks: −1, 0 or +1 tick, and trades print through the side that gave way.
            let move = Int64(rng.next() % 3) - 1
            if move != 0 {
                let takenAsk = move > 0
                let price = takenAsk ? bestBid + 1 : bestBid
                var t = Trade()
                t.symbol = instrument.symbol
                t.tradeID = tradeID
                tradeID += 1
                t.price = Price(raw: price * tick)
                t.quantity = Quantity(raw: (takenAsk ? asks[price] : bids[price]) ?? step)
                t.buyerIsMaker = !takenAsk
                trades.append(t)
                timeline.append((at, .trade(trades.count - 1)))
                bestBid += move
                // Keep the book uncrossed around the new one-tick spread.
                if move > 0 {
                    set(false, bestBid, 0)
                    set(true, bestBid, size())
                } else {
                    set(true, bestBid + 1, 0)
                    set(false, bestBid + 1, size())
                }
            }
            // Resting size changes near the touch on both sides.
            for _ in 0..<6 {
                let isBid = rng.next() % 2 == 0
                let offset = Int64(rng.next() % 20)
                let t = isBid ? bestBid - offset : bestBid + 1 + offset
                set(isBid, t, offset > 0 && rng.next() % 5 == 0 ? 0 : size())
            }
            var d = DepthUpdate(levelCapacity: 16)
            d.symbol = instrument.symbol
            d.prevFinalUpdateID = id
            d.firstUpdateID = id + 1
            id += 1 + Int64(rng.next() % 5)
            d.finalUpdateID = id
            d.bids = LevelList(changed[true]!.sorted { $0.key < $1.key }.map { PriceLevel(price: Price(raw: $0.key * tick), quantity: Quantity(raw: $0.value)) })
            d.asks = LevelList(changed[false]!.sorted { $0.key < $1.key }.map { PriceLevel(price: Price(raw: $0.key * tick), quantity: Quantity(raw: $0.value)) })
            diffs.append(d)
            timeline.append((at, .diff(diffs.count - 1)))
            var ticker = BookTicker()
            ticker.symbol = instrument.symbol
            ticker.updateID = id
            let bb = bids.keys.max()!
            let ba = asks.keys.min()!
            ticker.bidPrice = Price(raw: bb * tick)
            ticker.bidQuantity = Quantity(raw: bids[bb]!)
            ticker.askPrice = Price(raw: ba * tick)
            ticker.askQuantity = Quantity(raw: asks[ba]!)
            tickers.append(ticker)
            timeline.append((at, .ticker(tickers.count - 1)))
        }
        return MarketScript(
            instrument: instrument, snapshot: snapshot, diffs: diffs, tickers: tickers, trades: trades, timeline: timeline)
    }

    /// A seeded kline history of `count` closes on `tick` ending at `endPrice`: a walk of steps within
    /// ±`stepBasisPoints` taken backwards from the end, oldest first.
    public static func history(seed: UInt64, count: Int, endPrice: Price, tick: Price, stepBasisPoints: Int64 = 50) -> [Price] {
        guard count > 0, tick.raw > 0 else { return [] }
        var rng = SimRandom(seed: seed ^ 0x6B6C_696E_6573)
        var closes = [endPrice]
        var p = endPrice.raw
        for _ in 1..<count {
            let bps = Int64(rng.next() % UInt64(2 * stepBasisPoints + 1)) - stepBasisPoints
            p = max(tick.raw, (p + p / 10_000 * bps) / tick.raw * tick.raw)
            closes.append(Price(raw: p))
        }
        return closes.reversed()
    }
}
