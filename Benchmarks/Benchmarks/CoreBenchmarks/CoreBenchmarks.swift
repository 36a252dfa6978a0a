import Benchmark
import MMBinanceWire
import MMBook
import MMCore
import MMRing

#if canImport(Glibc)
import Glibc
#endif

let benchmarks: @Sendable () -> Void = {
    let perMessage = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 2_000)
    let data = MarketData.shared
    print("BTCUSDT diffs: \(data.updates.count), average levels per diff: \(data.averageLevels)")
    print("of which 10 to 14 levels: \(data.twelveLevelFrames.count), average \(data.twelveLevelAverage)")

    Benchmark("Decimal parse (price and quantity strings)", configuration: perMessage) { benchmark in
        let texts: [[UInt8]] = ["63943.90", "46.372", "0.006", "1000.00", "569.567", "63944.00"].map { Array($0.utf8) }
        var sum: Int64 = 0
        for i in benchmark.scaledIterations {
            texts[i % texts.count].withUnsafeBytes { sum &+= (try? DecimalCodec.parse($0)) ?? 0 }
        }
        blackHole(sum)
    }

    Benchmark("Depth parse (BTCUSDT diff frame → DepthUpdate)", configuration: perMessage) { benchmark in
        var message = MarketMessage()
        var next = 0
        for _ in benchmark.scaledIterations {
            _ = try? MarketDecoder.decode(data.frames[next], into: &message)
            next += 1
            if next == data.frames.count { next = 0 }
        }
        blackHole(message.depth.finalUpdateID)
    }

    Benchmark("Book apply (DepthUpdate → OrderBook)", configuration: perMessage) { benchmark in
        var book = data.warmBook()
        var next = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            book.apply(data.updates[next])
            next += 1
            if next == data.updates.count { next = 0 }
        }
        blackHole(book.bestBid)
    }

    Benchmark("Parse + sequence + apply (frame bytes → synced book → TopOfBook)", configuration: perMessage) { benchmark in
        parseSequenceApply(benchmark, data, frames: data.frames.count)
    }

    // The recording's diffs of 10 to 14 levels, each read from its frame bytes and applied to a warm book.
    // Not sequenced: picked out of the stream they no longer chain by U/u/pu, and their levels are absolute.
    Benchmark("Parse + apply, the diffs of 10–14 levels (frame bytes → book → TopOfBook)", configuration: perMessage) { benchmark in
        var book = data.warmBook()
        var message = MarketMessage()
        let frames = data.twelveLevelFrames
        var next = 0
        var top = TopOfBook.empty
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            if (try? MarketDecoder.decode(frames[next], into: &message)) == .depthUpdate {
                book.apply(message.depth)
                top = book.topOfBook(isSynced: true)
            }
            next += 1
            if next == frames.count { next = 0 }
        }
        blackHole(top)
    }

    Benchmark("TopOfBook seqlock publish + read", configuration: perMessage) { benchmark in
        let lock = SeqLock(TopOfBook.empty)
        var top = TopOfBook.empty
        var acc: Int64 = 0
        for i in benchmark.scaledIterations {
            top.updateID = Int64(i)
            lock.store(top)
            acc &+= lock.load().updateID
        }
        blackHole(acc)
    }

    Benchmark(
        "Ring throughput (u64, producer → consumer thread)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 1,
            scalingFactor: .mega, maxDuration: .seconds(5), maxIterations: 20)
    ) { benchmark in
        let ring = SPSCRing<UInt64>(capacity: 1 << 14)
        let total = benchmark.scaledIterations.count
        let consumer = PosixThread(name: "bench-consumer") {
            var seen = 0
            var buffer = [UInt64](repeating: 0, count: 512)
            var sum: UInt64 = 0
            while seen < total {
                let n = buffer.withUnsafeMutableBufferPointer { ring.popBatch(into: $0) }
                if n == 0 { continue }
                for i in 0..<n { sum &+= buffer[i] }
                seen += n
            }
            blackHole(sum)
        }
        var batch = [UInt64](repeating: 0, count: 512)
        var sent = 0
        benchmark.startMeasurement()
        while sent < total {
            let n = min(512, total - sent)
            for i in 0..<n { batch[i] = UInt64(sent + i) }
            var done = 0
            while done < n {
                done += batch.withUnsafeBufferPointer { ring.pushBatch(UnsafeBufferPointer(rebasing: $0[done..<n])) }
            }
            sent += n
        }
        consumer.join()
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Ring round trip (ping-pong between two threads)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], warmupIterations: 1, scalingFactor: .kilo,
            maxDuration: .seconds(3), maxIterations: 200)
    ) { benchmark in
        let ping = SPSCRing<UInt64>(capacity: 64)
        let pong = SPSCRing<UInt64>(capacity: 64)
        let total = benchmark.scaledIterations.count
        let echo = PosixThread(name: "bench-echo") {
            var n = 0
            while n < total {
                if let v = ping.pop() {
                    while !pong.push(v) {}
                    n += 1
                }
            }
        }
        benchmark.startMeasurement()
        for i in 0..<total {
            while !ping.push(UInt64(i)) {}
            while pong.pop() == nil {}
        }
        benchmark.stopMeasurement()
        echo.join()
    }
    engineBenchmarks(perMessage)
    shapeBenchmarks(perMessage)
}
