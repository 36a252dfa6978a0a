import CWireSIMD
import MMBinanceWire
import MMCore
import Testing

/// The vector header reader (`mm_depth_header`, event time through `"b":[`) against the Swift one and the
/// general decoder, and on its own.
@Suite("Diff headers read with vector instructions")
struct VectorHeaderTests {
    /// `digits` decimal digits, the first not zero.
    static func integer(_ digits: Int, _ rng: inout SplitMix64) -> String {
        var s = String(Int.random(in: 1...9, using: &rng))
        for _ in 1..<digits { s += String(Int.random(in: 0...9, using: &rng)) }
        return s
    }

    /// Calls `mm_depth_header` on `text`, whose header starts after `"E":`, remembering `symbolPart`.
    static func header(_ text: String, symbolPart: String) -> (values: [Int64], rest: String)? {
        let bytes = Array(text.utf8)
        let part = Array(symbolPart.utf8)
        guard let start = text.utf8.firstRange(of: #""E":"#.utf8)?.upperBound else { return nil }
        let offset = text.utf8.distance(from: text.utf8.startIndex, to: start)
        var out = [Int64](repeating: -1, count: 5)
        let next: Int? = bytes.withUnsafeBufferPointer { b in
            part.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    let base = b.baseAddress!
                    guard let n = mm_depth_header(base, base + offset, base + b.count, p.baseAddress!, p.count, o.baseAddress!) else {
                        return nil
                    }
                    return base.distance(to: n)
                }
            }
        }
        guard let next else { return nil }
        return (out, String(decoding: bytes[next...], as: UTF8.self))
    }

    @Test func readsTheHeaderAndStopsAfterTheBidListsBracket() throws {
        #if arch(x86_64)
        let text = DepthFastPathTests.diff(stream: nil, u: 7_123_456_789_012)
        let (values, rest) = try #require(Self.header(text, symbolPart: #","s":"BTCUSDT","U":"#))
        #expect(values == [1_721_260_800_123, 1_721_260_800_120, 7_123_456_789_008, 7_123_456_789_012, 7_123_456_789_007])
        #expect(rest.hasPrefix(#"["63943.90","46.372"]"#))
        // One digit, and fifteen (the longest it takes).
        let short = #"{"e":"depthUpdate","E":1,"T":123456789012345,"s":"X","U":9,"u":10,"pu":8,"b":[],"a":[]}"#
        #expect(try #require(Self.header(short, symbolPart: #","s":"X","U":"#)).values == [1, 123_456_789_012_345, 9, 10, 8])
        // A symbol long enough that the header does not fit the 128 bytes read at once.
        let name = String(repeating: "LONG", count: 12)
        let long = DepthFastPathTests.diff(stream: nil, symbol: name, u: 7_123_456_789_012)
        let read = try #require(Self.header(long, symbolPart: #","s":"\#(name)","U":"#))
        #expect(read.values == [1_721_260_800_123, 1_721_260_800_120, 7_123_456_789_008, 7_123_456_789_012, 7_123_456_789_007])
        #endif
    }

    @Test func refusesWhatIsNotExactlyTheForm() {
        let good = #"{"e":"depthUpdate","E":1721260800123,"T":1721260800120,"s":"BTCUSDT","U":5,"u":9,"pu":4,"b":[["1.0","2.0"]],"a":[]}"#
        let part = #","s":"BTCUSDT","U":"#
        #if arch(x86_64)
        #expect(Self.header(good, symbolPart: part) != nil)
        #endif
        let cases = [
            good.replacingOccurrences(of: "1721260800123", with: "1234567890123456"),  // sixteen digits
            good.replacingOccurrences(of: #""U":5"#, with: #""U":-5"#),
            good.replacingOccurrences(of: #""T":"#, with: #""t":"#),
            good.replacingOccurrences(of: #""pu":4"#, with: #""pu": 4"#),
            good.replacingOccurrences(of: #""b":["#, with: #""b" :["#),
            good.replacingOccurrences(of: "BTCUSDT", with: "ETHUSDT"),  // not the remembered symbol part
        ]
        for text in cases { #expect(Self.header(text, symbolPart: part) == nil, "\(text)") }
        // Cut anywhere in the header: nothing is read past the end.
        let cut = good.utf8.count - #"["1.0","2.0"]],"a":[]}"#.utf8.count
        for n in 30..<cut { #expect(Self.header(String(good.utf8.prefix(n))!, symbolPart: part) == nil) }
    }

    @Test("random headers and damage: vector, Swift and general readers agree", arguments: [1, 2, 3, 4] as [UInt64])
    func randomHeadersAndDamage(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var vector = MarketMessage()
        var swift = MarketMessage()
        swift.usesVectorLevels = false
        let damage: [UInt8] = Array(#"0",: {}[]-x"#.utf8)
        // The last makes the header longer than the 128 bytes read at once.
        let symbols = ["BTCUSDT", "X", "ETHUSDT", "1000SHIBUSDT", "BTCUSDT_250328", "A234567890B234567890C234567890DD"]
        var symbol = symbols[0]
        var decoded = 0
        for _ in 0..<4_000 {
            if Int.random(in: 0...50, using: &rng) == 0 { symbol = symbols.randomElement(using: &rng)! }
            // Mostly Binance's 13-digit times and ids; any length from 1 to 17 now and then.
            func value() -> String {
                Self.integer(Int.random(in: 0...10, using: &rng) == 0 ? Int.random(in: 1...17, using: &rng) : 13, &rng)
            }
            let body =
                #"{"e":"depthUpdate","E":\#(value()),"T":\#(value()),"s":"\#(symbol)","U":\#(value()),"u":\#(value()),"pu":\#(value()),"#
                + #""b":[["60000.10","1.500"]],"a":[["60000.20","0.010"]]}"#
            var bytes = Array((Bool.random(using: &rng) ? #"{"stream":"x@depth","data":\#(body)}"# : body).utf8)
            switch Int.random(in: 0...4, using: &rng) {
            case 0:
                // A byte of the header damaged.
                let from = bytes.count - body.utf8.count + 24
                bytes[Int.random(in: from..<(from + 90), using: &rng)] = damage.randomElement(using: &rng)!
            case 1:
                bytes.removeLast(Int.random(in: 1...(bytes.count - 30), using: &rng))
            default:
                break
            }
            guard let general = VectorLevelsTests.decodeThreeWays(bytes, vector: &vector, swift: &swift) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            decoded += 1
            for m in [vector, swift] {
                #expect(m.depth.symbol == general.depth.symbol, "\(text)")
                #expect(m.depth.eventTimeMillis == general.depth.eventTimeMillis, "\(text)")
                #expect(m.depth.transactionTimeMillis == general.depth.transactionTimeMillis, "\(text)")
                #expect(m.depth.firstUpdateID == general.depth.firstUpdateID, "\(text)")
                #expect(m.depth.finalUpdateID == general.depth.finalUpdateID, "\(text)")
                #expect(m.depth.prevFinalUpdateID == general.depth.prevFinalUpdateID, "\(text)")
                #expect(m.depth.bids == general.depth.bids && m.depth.asks == general.depth.asks, "\(text)")
            }
        }
        #expect(decoded > 2_000)
    }
}
