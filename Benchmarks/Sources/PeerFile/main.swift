import MMBinanceWire
import MMBook
import MMCore
import MMReplay

#if canImport(Glibc)
import Glibc
#endif

// Usage: PeerFile <recording> [passes] [decode]
// Our bytes → book path on a recording, as the ingest thread runs it: each frame's JSON bytes decoded
// into a DepthUpdate (no Foundation, no allocation), sequenced (U/u/pu) and applied to the synced book.
// The file is read into memory first; only decode + sequence + apply is timed. Prints one JSON line.
// `decode` times the decoding alone (the book is not touched), to split the path's cost. With
// SCALAR_LEVELS=1 in the environment, headers and levels are read by the Swift readers, not the vector ones.
let args = CommandLine.arguments
guard args.count > 1 else {
    print("usage: PeerFile <recording> [passes]")
    exit(2)
}
let passes = args.count > 2 ? Int(args[2]) ?? 3 : 3
let decodeOnly = args.count > 3 && args[3] == "decode"

func run() throws {
    // The frames back to back in one buffer, as a connection's read buffer holds them.
    var bytes: [UInt8] = []
    var bounds = [0]
    let reader = try RecordingReader(paths: [args[1]])
    while let (line, file) = try reader.next() {
        bytes.append(contentsOf: line.json)
        bounds.append(bytes.count)
        try reader.consume(file: file)
    }
    let frameCount = bounds.count - 1
    var message = MarketMessage()
    if getenv("SCALAR_LEVELS") != nil { message.usesVectorLevels = false }
    var times: [Double] = []
    var levels = 0
    var diffs = 0
    var synced = false
    var top = TopOfBook.empty
    for pass in 0..<passes {
        let instrument = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
        var book = SyncedBook(instrument: instrument)
        let start = MonotonicInstant.now().nanos
        bytes.withUnsafeBytes { all in
            for i in 0..<frameCount {
                let frame = UnsafeRawBufferPointer(rebasing: all[bounds[i]..<bounds[i + 1]])
                let kind = try? MarketDecoder.decode(frame, into: &message)
                switch kind {
                case .depthUpdate?:
                    if !decodeOnly { _ = book.onDiff(message.depth) }
                    if pass == 0 {
                        diffs += 1
                        levels += message.depth.bids.count + message.depth.asks.count
                    }
                case .depthSnapshot?:
                    message.snapshot.symbol = instrument.symbol
                    _ = book.onSnapshot(message.snapshot) { _ in }
                default: break
                }
            }
        }
        let elapsed = MonotonicInstant.now().nanos - start
        times.append(Double(elapsed) / Double(frameCount))
        synced = book.isSynced
        top = book.topOfBook
    }
    times.sort()
    print(
        #"{"path":"swift-market-maker \#(decodeOnly ? "bytes→DepthUpdate" : "bytes→book")","messages":\#(frameCount),"diffs":\#(diffs),"levels_per_diff":\#(Double(levels) / Double(max(1, diffs))),"#
            + #""ns_per_message_best":\#(times[0]),"ns_per_message_median":\#(times[times.count / 2]),"passes":\#(passes),"synced":\#(synced),"#
            + #""final_bid":"\#(top.bidPrice)","final_ask":"\#(top.askPrice)"}"#)
}

do { try run() } catch {
    print("PeerFile: \(error)")
    exit(1)
}
