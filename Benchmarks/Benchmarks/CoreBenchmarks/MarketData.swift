import Benchmark
import MMBinanceWire
import MMBook
import MMCore
import MMReplay

/// Real BTCUSDT diffs (the shipped recording), their snapshot, and the instrument.
struct MarketData: Sendable {
    /// Raw frame bytes of each diff after the bridge, end to end in one buffer as a connection's receive
    /// buffer holds them (see `FrameBuffer`).
    var frames = FrameBuffer([])
    /// The same diffs decoded.
    var updates: [DepthUpdate] = []
    var snapshot = DepthSnapshot()
    var instrument: Instrument
    var averageLevels: Double = 0
    /// The frames of the diffs with 10 to 14 levels (a quarter of them), the size the foundation target names.
    var twelveLevelFrames = FrameBuffer([])
    var twelveLevelAverage: Double = 0

    static let shared = MarketData.load()

    static func load(path: String = recordingPath()) -> MarketData {
        let instrument = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
        var data = MarketData(instrument: instrument)
        var message = MarketMessage()
        var sequencer = BookSequencer()
        var buffered: [([UInt8], DepthUpdate)] = []
        var frames: [[UInt8]] = []
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
                        frames.append(bytes)
                        data.updates.append(d)
                        levels += d.bids.count + d.asks.count
                    case .buffer: buffered.append((bytes, d))
                    default: break
                    }
                case .depthSnapshot:
                    data.snapshot = message.snapshot
                    _ = sequencer.onSnapshot(lastUpdateID: message.snapshot.lastUpdateID)
                    for (b, d) in buffered where sequencer.onDiff(firstUpdateID: d.firstUpdateID, finalUpdateID: d.finalUpdateID, prevFinalUpdateID: d.prevFinalUpdateID) == .apply {
                        frames.append(b)
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
        data.frames = FrameBuffer(frames)
        var twelve = 0
        var twelveLevelFrames: [[UInt8]] = []
        for (frame, update) in zip(frames, data.updates) {
            let n = update.bids.count + update.asks.count
            guard (10...14).contains(n) else { continue }
            twelveLevelFrames.append(frame)
            twelve += n
        }
        data.twelveLevelFrames = FrameBuffer(twelveLevelFrames)
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

/// Frames laid end to end in one allocation, the way a connection's receive buffer holds a burst of them.
///
/// The engine decodes each frame right after the kernel copied it into the channel's buffer, so its
/// bytes are in cache; one array per frame would scatter them over the heap and time cache misses the
/// engine does not have (measured: 255 → 227 ns a message on the p2 shape, 304 → 270 on p2-12).
final class FrameBuffer: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let offsets: [Int]

    init(_ frames: [[UInt8]]) {
        var offsets = [0]
        for f in frames { offsets.append(offsets[offsets.count - 1] + f.count) }
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(1, offsets[offsets.count - 1]), alignment: 64)
        for (i, f) in frames.enumerated() { f.withUnsafeBytes { (base + offsets[i]).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        self.base = base
        self.offsets = offsets
    }

    deinit { base.deallocate() }

    var count: Int { offsets.count - 1 }

    /// The bytes of frame `i`.
    subscript(i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + offsets[i], count: offsets[i + 1] - offsets[i])
    }
}

#if canImport(Glibc)
import Glibc
#endif
