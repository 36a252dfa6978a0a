import Benchmark
import MMBinanceWire
import MMBook
import MMCore
import MMReplay

/// Real BTCUSDT diffs (the shipped recording), their snapshot, and the instrument.
struct MarketData: Sendable {
    /// Raw frame bytes of each diff after the bridge, laid out as they would arrive.
    var frames: [[UInt8]] = []
    /// The same diffs decoded.
    var updates: [DepthUpdate] = []
    var snapshot = DepthSnapshot()
    var instrument: Instrument
    var averageLevels: Double = 0
    /// The frames of the diffs with 10 to 14 levels (a quarter of them), the size the foundation target names.
    var twelveLevelFrames: [[UInt8]] = []
    var twelveLevelAverage: Double = 0

    static let shared = MarketData.load()

    static func load(path: String = recordingPath()) -> MarketData {
        let instrument = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
        var data = MarketData(instrument: instrument)
        var message = MarketMessage()
        var sequencer = BookSequencer()
        var buffered: [([UInt8], DepthUpdate)] = []
        var levels = 0
        do {
            let reader = try RecordingReader(paths: [path])
            while let (line, file) = try reader.next() {
                let bytes = Array(line.json)
                switch try MarketDecoder.decode(line.json, into: &message) {
                case .depthUpdate:
                    let d = message.depth
                    switch sequencer.onDiff(firstUpdateID: d.firstUpdateID, finalUpdateID: d.finalUpdateID, prevFinalUpdateID: d.prevFinalUpdateID) {
                    case .apply:
                        data.frames.append(bytes)
                        data.updates.append(d)
                        levels += d.bids.count + d.asks.count
                    case .buffer: buffered.append((bytes, d))
                    default: break
                    }
                case .depthSnapshot:
                    data.snapshot = message.snapshot
                    _ = sequencer.onSnapshot(lastUpdateID: message.snapshot.lastUpdateID)
                    for (b, d) in buffered where sequencer.onDiff(firstUpdateID: d.firstUpdateID, finalUpdateID: d.finalUpdateID, prevFinalUpdateID: d.prevFinalUpdateID) == .apply {
                        data.frames.append(b)
                        data.updates.append(d)
                        levels += d.bids.count + d.asks.count
                    }
                default: break
                }
                try reader.consume(file: file)
            }
        } catch {
            fatalError("cannot load \(path): \(error)")
        }
        data.averageLevels = Double(levels) / Double(max(1, data.updates.count))
        var twelve = 0
        for (frame, update) in zip(data.frames, data.updates) {
            let n = update.bids.count + update.asks.count
            guard (10...14).contains(n) else { continue }
            data.twelveLevelFrames.append(frame)
            twelve += n
        }
        data.twelveLevelAverage = Double(twelve) / Double(max(1, data.twelveLevelFrames.count))
        return data
    }

    /// The shipped recording, found from the benchmark's working directory or this file's location.
    static func recordingPath() -> String {
        for candidate in ["../recordings/btcusdt_20240718.gz", "recordings/btcusdt_20240718.gz"] {
            if let f = fopen(candidate, "rb") {
                fclose(f)
                return candidate
            }
        }
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)
        return parts.joined(separator: "/") + "/recordings/btcusdt_20240718.gz"
    }

    /// A book loaded with the snapshot and every diff once, so later applies see a realistic, warm book.
    /// The book after the snapshot and the first `count` diffs (all of them by default): the state the
    /// frames a benchmark cycles through leave it in, so that going around again lands near it.
    func warmBook(through count: Int? = nil) -> OrderBook {
        var book = OrderBook(instrument: instrument)
        book.replace(with: snapshot)
        for u in updates.prefix(count ?? updates.count) { book.apply(u) }
        return book
    }

    /// Puts a synced book back at the recording's start: the snapshot, bridged to the first diff.
    func resync(_ synced: inout SyncedBook) {
        synced.invalidate()
        var snap = snapshot
        snap.lastUpdateID = updates[0].firstUpdateID
        _ = synced.onSnapshot(snap)
    }
}

#if canImport(Glibc)
import Glibc
#endif
