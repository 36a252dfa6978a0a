import MMBinanceWire
import MMBook
import MMCore
import MMReplay

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

    /// Recorded length in nanoseconds (time of the last step).
    public var duration: Int64 { timeline.last?.at ?? 0 }

    /// Scripts for every symbol of a recording that contains a depth snapshot, in symbol order.
    public static func load(paths: [String], instruments: [Instrument] = EmbeddedInstruments.all) throws(ReplayError) -> [MarketScript] {
        var builders: [Symbol: Builder] = [:]
        var message = MarketMessage()
        let reader = try RecordingReader(paths: paths)
        while let (line, file) = try reader.next() {
            defer { try? reader.consume(file: file) }
            guard let kind = try? MarketDecoder.decode(line.json, into: &message) else { continue }
            let ts = line.receivedNanos
            switch kind {
            case .depthUpdate:
                reader.noteSymbol(message.depth.symbol, file: file)
                builders[message.depth.symbol, default: Builder()].add(diff: message.depth, at: ts)
            case .depthSnapshot:
                let symbol = message.snapshot.symbol.isEmpty
                    ? (line.symbolHint ?? reader.lastSymbol(file: file) ?? Symbol()) : message.snapshot.symbol
                guard !symbol.isEmpty else { continue }
                var snapshot = message.snapshot
                snapshot.symbol = symbol
                builders[symbol, default: Builder()].add(snapshot: snapshot, at: ts)
            case .bookTicker:
                reader.noteSymbol(message.bookTicker.symbol, file: file)
                builders[message.bookTicker.symbol, default: Builder()].add(ticker: message.bookTicker, at: ts)
            case .trade, .aggTrade:
                reader.noteSymbol(message.trade.symbol, file: file)
                builders[message.trade.symbol, default: Builder()].add(trade: message.trade, at: ts)
            default:
                continue
            }
        }
        var table: [Symbol: Instrument] = [:]
        for i in instruments { table[i.symbol] = i }
        let scripts = builders.keys.sorted().compactMap { symbol -> MarketScript? in
            let b = builders[symbol]!
            guard let snapshot = b.snapshot, !b.diffs.isEmpty else { return nil }
            var script = MarketScript(
                instrument: table[symbol] ?? Instrument.unitGrid(symbol: symbol), snapshot: snapshot, diffs: b.diffs,
                tickers: b.tickers, trades: b.trades, timeline: b.timeline)
            script.startMillis = b.snapshotAt / 1_000_000
            return script
        }
        if scripts.isEmpty {
            throw ReplayError("no symbol in \(paths.joined(separator: ", ")) has a depth snapshot followed by diffs")
        }
        return scripts
    }

    /// Collects one symbol's messages in arrival order.
    struct Builder {
        var snapshot: DepthSnapshot?
        var snapshotAt: Int64 = 0
        var early: [(Int64, DepthUpdate)] = []
        var diffs: [DepthUpdate] = []
        var tickers: [BookTicker] = []
        var trades: [Trade] = []
        var timeline: [(at: Int64, step: Step)] = []

        mutating func add(diff: DepthUpdate, at ts: Int64) {
            guard let snapshot else {
                early.append((ts, diff))
                return
            }
            // Only what follows the snapshot: older diffs are already in it.
            guard diff.finalUpdateID >= snapshot.lastUpdateID else { return }
            diffs.append(diff)
            timeline.append((max(0, ts - snapshotAt), .diff(diffs.count - 1)))
        }

        mutating func add(snapshot s: DepthSnapshot, at ts: Int64) {
            guard snapshot == nil else { return }
            snapshot = s
            snapshotAt = ts
            for (t, d) in early { add(diff: d, at: t) }
            early = []
        }

        mutating func add(ticker: BookTicker, at ts: Int64) {
            guard let snapshot, ticker.updateID >= snapshot.lastUpdateID else { return }
            tickers.append(ticker)
            timeline.append((max(0, ts - snapshotAt), .ticker(tickers.count - 1)))
        }

        mutating func add(trade: Trade, at ts: Int64) {
            guard snapshot != nil else { return }
            trades.append(trade)
            timeline.append((max(0, ts - snapshotAt), .trade(trades.count - 1)))
        }
    }
}
