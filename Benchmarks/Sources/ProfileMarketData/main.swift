import MMBinanceWire
import MMBook
import MMCore
import MMReplay

#if canImport(Glibc)
import Glibc
#endif

// Usage: ProfileMarketData [parse|apply|both|full|twelve] [passes] [recording]
// `twelve` is `both` on the diffs of 10 to 14 levels alone (picked out of the stream, so not sequenced).
// With SCALAR_LEVELS=1 in the environment, headers and levels are read by the Swift readers, not the vector ones.
let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "both"
let passes = args.count > 2 ? Int(args[2]) ?? 20 : 20
let path = args.count > 3 ? args[3] : "../recordings/btcusdt_20240718.gz"

/// Everything runs inside a function: top-level variables are globals, whose dynamic exclusivity
/// checks would be measured too.
func run() throws {
    var frames: [[UInt8]] = []
    var updates: [DepthUpdate] = []
    var snapshot = DepthSnapshot()
    var message = MarketMessage()
    let reader = try RecordingReader(paths: [path])
    while let (line, file) = try reader.next() {
        switch try MarketDecoder.decode(line.json, into: &message) {
        case .depthUpdate:
            frames.append(Array(line.json))
            updates.append(message.depth)
        case .depthSnapshot: snapshot = message.snapshot
        default: break
        }
        try reader.consume(file: file)
    }
    if mode == "twelve" {
        let picked = updates.indices.filter { (10...14).contains(updates[$0].bids.count + updates[$0].asks.count) }
        frames = picked.map { frames[$0] }
        updates = picked.map { updates[$0] }
    }
    let instrument = EmbeddedInstruments.all.first { $0.symbol == (updates.first?.symbol ?? Symbol()) }
        ?? Instrument.unitGrid(symbol: updates[0].symbol)
    var book = OrderBook(instrument: instrument)
    book.replace(with: snapshot)
    if getenv("SCALAR_LEVELS") != nil { message.usesVectorLevels = false }

    var sequencer = BookSequencer()
    _ = sequencer.onSnapshot(lastUpdateID: updates[0].firstUpdateID)
    var top = TopOfBook.empty
    let start = MonotonicInstant.now().nanos
    var checksum: Int64 = 0
    for _ in 0..<passes {
        for i in 0..<frames.count {
            if mode != "apply" {
                _ = frames[i].withUnsafeBytes { try? MarketDecoder.decode($0, into: &message) }
            }
            if mode == "apply" { book.apply(updates[i]) } else if mode == "both" || mode == "twelve" { book.apply(message.depth) }
            if mode == "full" {
                let d = message.depth
                if sequencer.onDiff(firstUpdateID: d.firstUpdateID, finalUpdateID: d.finalUpdateID, prevFinalUpdateID: d.prevFinalUpdateID) == .apply {
                    book.apply(message.depth)
                    top = book.topOfBook(isSynced: true)
                }
            }
            checksum &+= book.bestBid?.ticks.value ?? 0
        }
        sequencer.reset()
        _ = sequencer.onSnapshot(lastUpdateID: updates[0].firstUpdateID)
    }
    checksum &+= top.updateID
    let elapsed = MonotonicInstant.now().nanos - start
    let n = passes * frames.count
    let levels = Double(updates.reduce(0) { $0 + $1.bids.count + $1.asks.count }) / Double(updates.count)
    print("mode=\(mode) messages=\(n) levels/diff=\(levels) ns/message=\(Double(elapsed) / Double(n)) levels(bid,ask)=(\(book.depth(.bid)),\(book.depth(.ask))) checksum=\(checksum)")
}

try run()
