import Benchmark
import Foundation
import MMBinanceWire
import MMBook
import MMCore

/// Frame bytes → synced book on generated streams of other shapes (`scripts/shape_matrix.sh --bench`):
/// every `.gz` in `MM_BENCH_SHAPES`, one benchmark each, named after the file. Nothing when unset.
func shapeBenchmarks(_ perMessage: Benchmark.Configuration) {
    guard let dir = ProcessInfo.processInfo.environment["MM_BENCH_SHAPES"],
        let names = try? FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".gz") }).sorted()
    else { return }
    for name in names {
        let data = MarketData.load(path: dir + "/" + name)
        let shape = name.replacingOccurrences(of: ".gz", with: "")
        let levels = String(format: "%.1f", data.averageLevels)
        Benchmark("Bytes → book, shape \(shape) (\(levels) levels per diff)", configuration: perMessage) { benchmark in
            // The first 4,096 frames, as many as the shipped recording has, so that the shapes' books stay
            // about as large as the recording's.
            parseSequenceApply(benchmark, data, frames: min(data.frames.count, 4096))
        }
    }
}

/// Each frame's bytes decoded, sequenced and applied to a warm synced book, the top of book read after
/// each diff, over the first `count` frames and around again (re-bridged in O(1): levels are absolute).
func parseSequenceApply(_ benchmark: Benchmark, _ data: MarketData, frames count: Int) {
    // Warmed with the cycled frames only: a book warmed with a longer stream's every diff would sit where
    // its price walked to, and the first frames applied again would land far from its touch.
    var book = data.warmBook(through: count)
    var message = MarketMessage()
    var sequencer = BookSequencer()
    _ = sequencer.onSnapshot(lastUpdateID: data.updates[0].firstUpdateID)
    var next = 0
    var top = TopOfBook.empty
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        let kind = try? MarketDecoder.decode(data.frames[next], into: &message)
        if kind == .depthUpdate {
            let d = message.depth
            if sequencer.onDiff(firstUpdateID: d.firstUpdateID, finalUpdateID: d.finalUpdateID, prevFinalUpdateID: d.prevFinalUpdateID) == .apply {
                book.apply(message.depth)
                top = book.topOfBook(isSynced: true)
            }
        }
        next += 1
        if next == count {
            next = 0
            sequencer.reset()
            _ = sequencer.onSnapshot(lastUpdateID: data.updates[0].firstUpdateID)
        }
    }
    blackHole(top)
}
