import MMBinanceWire
import MMBook
import MMCore
import MMReplay

#if canImport(Glibc)
import Glibc
#endif

// Usage: ProfileMarketData [parse|apply|both] [passes] [recording]
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
    let instrument = EmbeddedInstruments.all.first { $0.symbol == (updates.first?.symbol ?? Symbol()) }
        ?? Instrument.unitGrid(symbol: updates[0].symbol)
    var book = OrderBook(instrument: instrument)
    book.replace(with: snapshot)

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
            if mode == "apply" { book.apply(updates[i]) } else if mode == "both" { book.apply(message.depth) }
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
    print("mode=\(mode) messages=\(n) ns/message=\(Double(elapsed) / Double(n)) levels(bid,ask)=(\(book.depth(.bid)),\(book.depth(.ask))) checksum=\(checksum)")
}

try run()
