import MMBinanceWire
import MMBook
import MMCore
import Testing

/// The fixed-layout depth reader keeps what it learnt from earlier diffs (number shapes, envelope and
/// symbol bytes) in the message scratch; whatever follows, each message must decode exactly as the general
/// decoder reads it on a fresh scratch.
@Suite struct DepthFastPathTests {
    /// Decodes `json` into `fast` (kept across calls) and into a fresh scratch without the fast path, and
    /// checks they agree: same kind or same error, same diff fields.
    func agree(_ json: String, _ fast: inout MarketMessage, sourceLocation: SourceLocation = #_sourceLocation) {
        var general = MarketMessage()
        let a = Result { () throws(WireError) in try MarketDecoder.decode(Array(json.utf8), into: &fast) }
        let b = Result { () throws(WireError) in try MarketDecoder.decode(Array(json.utf8), into: &general, fastPath: false) }
        #expect(a == b, "\(json)", sourceLocation: sourceLocation)
        guard case .success(.depthUpdate) = a, case .success(.depthUpdate) = b else { return }
        #expect(fast.depth.symbol == general.depth.symbol, sourceLocation: sourceLocation)
        #expect(fast.depth.bids == general.depth.bids && fast.depth.asks == general.depth.asks, sourceLocation: sourceLocation)
        #expect(fast.depth.eventTimeMillis == general.depth.eventTimeMillis, sourceLocation: sourceLocation)
        #expect(fast.depth.transactionTimeMillis == general.depth.transactionTimeMillis, sourceLocation: sourceLocation)
        #expect(fast.depth.firstUpdateID == general.depth.firstUpdateID, sourceLocation: sourceLocation)
        #expect(fast.depth.finalUpdateID == general.depth.finalUpdateID, sourceLocation: sourceLocation)
        #expect(fast.depth.prevFinalUpdateID == general.depth.prevFinalUpdateID, sourceLocation: sourceLocation)
    }

    static func diff(
        stream: String? = "btcusdt@depth@100ms", symbol: String = "BTCUSDT", u: Int = 1_000_005,
        bids: String = #"["63943.90","46.372"],["63943.80","0.010"]"#, asks: String = #"["63944.00","1.500"]"#
    ) -> String {
        let body = #"{"e":"depthUpdate","E":1721260800123,"T":1721260800120,"s":"\#(symbol)","U":\#(u - 4),"u":\#(u),"pu":\#(u - 5),"b":[\#(bids)],"a":[\#(asks)]}"#
        guard let stream else { return body }
        return #"{"stream":"\#(stream)","data":\#(body)}"#
    }

    @Test func changingStreamsSymbolsAndEnvelopes() {
        var fast = MarketMessage()
        let messages = [
            Self.diff(),
            Self.diff(u: 1_000_010),  // the same stream: the remembered parts match
            Self.diff(stream: "ethusdt@depth", symbol: "ETHUSDT"),
            Self.diff(stream: nil, symbol: "ETHUSDT"),
            Self.diff(stream: nil, symbol: "BTCUSDT"),
            Self.diff(stream: nil, symbol: "1000SHIBUSDT"),
            Self.diff(stream: "btcusdt@depth5@100ms"),  // a partial book, not a diff
            Self.diff(),
            Self.diff(symbol: "BTC USDT"),  // same head, a symbol the reader must refuse on its own
            Self.diff(symbol: "btcusdt"),
            Self.diff(),
            String(Self.diff().prefix(60)),  // cut inside the remembered head
            String(Self.diff().prefix(90)),  // cut after it
            Self.diff().replacingOccurrences(of: #""s":"BTCUSDT""#, with: #""s": "BTCUSDT""#),
            Self.diff().replacingOccurrences(of: #""e":"depthUpdate""#, with: #""e":"depthUpdatf""#),
            Self.diff(),
        ]
        for json in messages { agree(json, &fast) }
    }

    @Test func levelsOfMixedShapesAndTheFramesEnd() {
        var fast = MarketMessage()
        let sides = [
            (#"["63943.90","46.372"],["63943.9","1"],["1.5","2.25"],["63944.00","0.001"],["63944.10","12345.678"]"#, #"["1","2"]"#),
            (#"["63943.90","46.372"],["63943.80","0.010"],["63943.70","0.020"],["63943.60","0.030"]"#, #"["63944.00","0.001"],["63944.10","0.002"]"#),
            (#"["63943.90","46.372"]"#, #"["63944.00","0.001"],["63944.10","0.002"],["63944.20","0.003"]"#),
            (#"["63943.90","46.372"],["63943.90","46.372"]"#, ""),
            ("", #"["63944.00","0.001"]"#),
            (#"["63943.90","46.372"];["63943.80","0.010"]"#, ""),  // a bad separator after a compact level
            (#"["63943.90","46.372"],["63943.80","0.010"] "#, ""),  // whitespace after the last level
            (#"["63943.90","46.372"],["63943.x0","0.010"]"#, ""),
            (#"["63943.90","46.372"],["63943.80","0.0100"]"#, ""),
            (#"["-63943.90","46.372"]"#, ""),
            (#"["63943.90","46.372",["63943.80","0.010"]"#, ""),
            // Eight fraction digits, as some symbols print them: prices and sizes filling the word.
            (#"["60000.10000000","0.12300000"],["6.00000001","1234567.12345678"],["0.00001234","10.00000000"]"#, #"["60000.20000000","0.00100000"]"#),
            // Long shapes learnt, then numbers the long reader must refuse: a non-digit in the fraction, a
            // fraction one digit short or long, no integer digit, eight integer digits, a short number.
            (#"["60000.10000000","0.12300000"],["60000.1000x000","0.12300000"]"#, ""),
            (#"["60000.10000000","0.12300000"],["60000.1000000","0.12300000"],["60000.100000000","0.1"]"#, ""),
            (#"["60000.10000000","0.12300000"],[".10000000","0.12300000"]"#, ""),
            (#"["60000.10000000","0.12300000"],["12345678.10000000","0.12300000"],["60000.1","0.12300000"]"#, #"["60000.20000000","0.00100000"]"#),
            (#"["60000.10","0.123"],["60000.10000000","0.12300000"],["60000.20","0.124"],["60000.20000000","0.12400000"]"#, ""),
            (#"["100000.10","10.123"],["100000.20","10.124"],["100000.30","10.125"]"#, #"["100000.40","10.126"]"#),
            // No integer digit before the point, in either reader.
            (#"[".5","1"]"#, ""),
        ]
        for (bids, asks) in sides {
            agree(Self.diff(bids: bids, asks: asks), &fast)
            agree(Self.diff(stream: nil, bids: bids, asks: asks), &fast)
        }
    }

    @Test func everyCutOfARealShapedDiff() {
        // Truncating a diff at every byte: the reader's word loads near the frame's end stay inside it, and
        // each cut is refused as the general decoder refuses it.
        var fast = MarketMessage()
        for bids in [
            #"["63943.90","46.372"],["63943.80","0.010"],["63943.70","0.020"]"#, #"["6394300.10000000","46.37200000"],["6394300.00000001","0.01000000"]"#,
        ] {
            let full = Self.diff(bids: bids)
            agree(full, &fast)
            for n in 1..<full.utf8.count {
                agree(String(decoding: full.utf8.prefix(n), as: UTF8.self), &fast)
                agree(full, &fast)
            }
        }
    }
}
