import MMBook
import MMCore

/// One symbol's recorded market, ready to replay: the snapshot the venue starts from, the diffs that
/// follow it (the first spans it), and the bookTickers and trades, each timed from the snapshot.
public struct MarketScript: Sendable {
    /// What happens at a point of the script.
    public enum Step: Sendable {
        case diff(Int)
        case ticker(Int)
        case trade(Int)
    }

    /// The instrument (filters and grids) the venue trades this symbol with.
    public var instrument: Instrument
    public let snapshot: DepthSnapshot
    public let diffs: [DepthUpdate]
    public let tickers: [BookTicker]
    public let trades: [Trade]
    /// Steps in receive order, with nanoseconds since the snapshot was received.
    public let timeline: [(at: Int64, step: Step)]

    /// Wall-clock time the snapshot was received (ms since the epoch; 0 when unknown).
    public var startMillis: Int64 = 0

    public init(
        instrument: Instrument, snapshot: DepthSnapshot, diffs: [DepthUpdate], tickers: [BookTicker], trades: [Trade],
        timeline: [(at: Int64, step: Step)], startMillis: Int64 = 0
    ) {
        self.instrument = instrument
        self.snapshot = snapshot
        self.diffs = diffs
        self.tickers = tickers
        self.trades = trades
        self.timeline = timeline
        self.startMillis = startMillis
    }

    /// Recorded length in nanoseconds (time of the last step).
    public var duration: Int64 { timeline.last?.at ?? 0 }

    /// The script from `nanos` after its start: the snapshot rolled forward through the diffs before then,
    /// the steps from then on (a replay that starts where the recording gets going).
    public func starting(atNanos nanos: Int64) -> MarketScript {
        guard nanos > 0, let first = timeline.firstIndex(where: { $0.at >= nanos }) else { return self }
        var book = OrderBook(instrument: instrument, levelCapacity: 8192)
        book.replace(with: snapshot)
        var last = snapshot.lastUpdateID
        for (_, step) in timeline[..<first] {
            if case .diff(let i) = step {
                book.apply(diffs[i])
                last = diffs[i].finalUpdateID
            }
        }
        var rolled = DepthSnapshot()
        rolled.symbol = snapshot.symbol
        rolled.lastUpdateID = last
        rolled.eventTimeMillis = snapshot.eventTimeMillis + nanos / 1_000_000
        rolled.transactionTimeMillis = snapshot.transactionTimeMillis + nanos / 1_000_000
        rolled.bids = LevelList(book.levels(.bid))
        rolled.asks = LevelList(book.levels(.ask))
        let rest = timeline[first...].map { (at: $0.at - nanos, step: $0.step) }
        return MarketScript(
            instrument: instrument, snapshot: rolled, diffs: diffs, tickers: tickers, trades: trades, timeline: Array(rest),
            startMillis: startMillis + nanos / 1_000_000)
    }

    /// Collects one symbol's messages in arrival order.
    public struct Builder {
        public init() {}

        /// The script for `instrument`, once a snapshot and at least one diff after it arrived.
        public func script(instrument: Instrument) -> MarketScript? {
            guard let snapshot, !diffs.isEmpty else { return nil }
            return MarketScript(
                instrument: instrument, snapshot: snapshot, diffs: diffs, tickers: tickers, trades: trades, timeline: timeline,
                startMillis: snapshotAt / 1_000_000)
        }
        public private(set) var snapshot: DepthSnapshot?
        public private(set) var snapshotAt: Int64 = 0
        private var early: [(Int64, DepthUpdate)] = []
        public private(set) var diffs: [DepthUpdate] = []
        public private(set) var tickers: [BookTicker] = []
        public private(set) var trades: [Trade] = []
        public private(set) var timeline: [(at: Int64, step: Step)] = []

        public mutating func add(diff: DepthUpdate, at ts: Int64) {
            guard let snapshot else {
                early.append((ts, diff))
                return
            }
            // Only what follows the snapshot: older diffs are already in it.
            guard diff.finalUpdateID >= snapshot.lastUpdateID else { return }
            diffs.append(diff)
            timeline.append((max(0, ts - snapshotAt), .diff(diffs.count - 1)))
        }

        public mutating func add(snapshot s: DepthSnapshot, at ts: Int64) {
            guard snapshot == nil else { return }
            snapshot = s
            snapshotAt = ts
            for (t, d) in early { add(diff: d, at: t) }
            early = []
        }

        public mutating func add(ticker: BookTicker, at ts: Int64) {
            guard let snapshot, ticker.updateID >= snapshot.lastUpdateID else { return }
            tickers.append(ticker)
            timeline.append((max(0, ts - snapshotAt), .ticker(tickers.count - 1)))
        }

        public mutating func add(trade: Trade, at ts: Int64) {
            guard snapshot != nil else { return }
            trades.append(trade)
            timeline.append((max(0, ts - snapshotAt), .trade(trades.count - 1)))
        }
    }
}
