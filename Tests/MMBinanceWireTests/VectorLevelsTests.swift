import MMBinanceWire
import MMBook
import MMCore
import Testing

/// The vector level reader (`mm_compact_levels`) against the Swift readers and the general decoder: every
/// message must decode the same whichever reads it, valid or not.
@Suite("Depth levels read with vector instructions")
struct VectorLevelsTests {
    @Test func theVectorReaderServesThisMachine() {
        #if arch(x86_64)
        // Every x86-64 machine the project runs on has AVX2; without it the comparisons below would only
        // compare the Swift readers with themselves.
        #expect(MarketMessage.vectorLevelsAvailable)
        #endif
        var m = MarketMessage()
        #expect(m.usesVectorLevels == MarketMessage.vectorLevelsAvailable)
        m.usesVectorLevels = false
        #expect(!m.usesVectorLevels)
    }

    @Test func aPriceLevelIsTwoIntegersPriceFirst() {
        // The C reader writes each level as two Int64 values.
        #expect(MemoryLayout<PriceLevel>.size == 16 && MemoryLayout<PriceLevel>.stride == 16)
        #expect(MemoryLayout<PriceLevel>.offset(of: \.price) == 0 && MemoryLayout<PriceLevel>.offset(of: \.quantity) == 8)
    }

    /// A decimal of `integer` integer and `fraction` fraction digits, Binance style (trailing zeros kept).
    static func number(_ integer: Int, _ fraction: Int, _ rng: inout SplitMix64) -> String {
        var s = String(Int.random(in: 1...9, using: &rng))
        for _ in 1..<integer { s += String(Int.random(in: 0...9, using: &rng)) }
        s += "."
        for _ in 0..<fraction { s += String(Int.random(in: 0...9, using: &rng)) }
        return s
    }

    /// Decodes `bytes` with `vector` (the vector readers), `swift` (the Swift readers) and the general decoder,
    /// expects the three to agree, and returns the general decoder's message when all three read a diff.
    static func decodeThreeWays(_ bytes: [UInt8], vector: inout MarketMessage, swift: inout MarketMessage) -> MarketMessage? {
        var general = MarketMessage()
        let a = Result { () throws(WireError) in try MarketDecoder.decode(bytes, into: &vector) }
        let b = Result { () throws(WireError) in try MarketDecoder.decode(bytes, into: &swift) }
        let c = Result { () throws(WireError) in try MarketDecoder.decode(bytes, into: &general, fastPath: false) }
        #expect(a == c && b == c, "\(String(decoding: bytes, as: UTF8.self))")
        guard case .success(.depthUpdate) = c, case .success(.depthUpdate) = a, case .success(.depthUpdate) = b else { return nil }
        return general
    }

    @Test("random shapes and damage: vector, Swift and general readers agree", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func randomShapesAndDamage(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var vector = MarketMessage()
        var swift = MarketMessage()
        swift.usesVectorLevels = false
        let damage: [UInt8] = Array(#"".,][ x09-"#.utf8)
        var decoded = 0
        for _ in 0..<3_000 {
            // A stream keeps its shapes for a while, then another symbol's come.
            let fp = Int.random(in: 1...8, using: &rng)
            let fq = Int.random(in: 1...8, using: &rng)
            func side() -> String {
                (0..<Int.random(in: 0...20, using: &rng)).map { _ in
                    // Mostly 1-7 integer digits; now and then 8, which only the general path reads.
                    let pi = Int.random(in: 0...30, using: &rng) == 0 ? 8 : Int.random(in: 1...7, using: &rng)
                    let qi = Int.random(in: 0...30, using: &rng) == 0 ? 8 : Int.random(in: 1...7, using: &rng)
                    // Now and then a number of another shape.
                    let pf = Int.random(in: 0...20, using: &rng) == 0 ? Int.random(in: 1...8, using: &rng) : fp
                    let qf = Int.random(in: 0...20, using: &rng) == 0 ? Int.random(in: 1...8, using: &rng) : fq
                    return #"[""# + Self.number(pi, pf, &rng) + #"",""# + Self.number(qi, qf, &rng) + #""]"#
                }.joined(separator: ",")
            }
            var bytes = Array(DepthFastPathTests.diff(stream: Bool.random(using: &rng) ? "btcusdt@depth@100ms" : nil, bids: side(), asks: side()).utf8)
            let levelsStart = bytes.count / 3
            switch Int.random(in: 0...5, using: &rng) {
            case 0:
                // A byte in the levels damaged.
                if bytes.count > levelsStart + 1 {
                    bytes[Int.random(in: levelsStart..<bytes.count, using: &rng)] = damage.randomElement(using: &rng)!
                }
            case 1:
                // The frame cut short.
                bytes.removeLast(Int.random(in: 1...min(40, bytes.count - 1), using: &rng))
            default:
                break
            }
            guard let general = Self.decodeThreeWays(bytes, vector: &vector, swift: &swift) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            decoded += 1
            #expect(vector.depth.bids == general.depth.bids && vector.depth.asks == general.depth.asks, "\(text)")
            #expect(swift.depth.bids == general.depth.bids && swift.depth.asks == general.depth.asks, "\(text)")
            #expect(vector.depth.finalUpdateID == general.depth.finalUpdateID && vector.depth.symbol == general.depth.symbol)
        }
        // Most messages are whole and valid: the readers are compared on levels, not only on refusals.
        #expect(decoded > 1_500)
    }

    @Test func levelsAtTheFramesEdgesAndLongNumbers() throws {
        // The last level of a frame (read from masks of the frame's last 64 bytes), numbers of 7 integer
        // and 8 fraction digits (16 bytes, the longest the reader takes), and one of 8 integer digits.
        var m = MarketMessage()
        let asks = #"["6394300.10000000","1234567.12345678"],["1.00000001","0.00000001"]"#
        let json = DepthFastPathTests.diff(bids: #"["9999999.99999999","9999999.99999999"]"#, asks: asks)
        #expect(try MarketDecoder.decode(Array(json.utf8), into: &m) == .depthUpdate)
        #expect(m.depth.bids.map(\.price.raw) == [999_999_999_999_999])
        #expect(m.depth.asks.map(\.price.raw) == [639_430_010_000_000, 100_000_001])
        #expect(m.depth.asks.map(\.quantity.raw) == [123_456_712_345_678, 1])
        let eight = DepthFastPathTests.diff(bids: #"["12345678.10000000","1.00000000"]"#, asks: asks)
        #expect(try MarketDecoder.decode(Array(eight.utf8), into: &m) == .depthUpdate)
        #expect(m.depth.bids.map(\.price.raw) == [1_234_567_810_000_000])
        // Leading zeros, and a level damaged after the reader has read others: all three readers agree.
        for bids in [#"["0060000.10","000.500"],["60000.00","1.000"]"#, #"["60000.10","0.500"],["60000.00","1.0x0"]"#] {
            let json = Array(DepthFastPathTests.diff(bids: bids, asks: #"["60001.00","2.000"]"#).utf8)
            var swift = MarketMessage()
            swift.usesVectorLevels = false
            var general = MarketMessage()
            let a = Result { () throws(WireError) in try MarketDecoder.decode(json, into: &m) }
            let b = Result { () throws(WireError) in try MarketDecoder.decode(json, into: &swift) }
            let c = Result { () throws(WireError) in try MarketDecoder.decode(json, into: &general, fastPath: false) }
            #expect(a == c && b == c)
            if case .success = c { #expect(m.depth.bids == general.depth.bids && swift.depth.bids == general.depth.bids) }
        }
    }
}
