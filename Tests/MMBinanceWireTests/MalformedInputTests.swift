import MMBinanceWire
import MMBook
import MMCore
import Testing

@Suite("Malformed and unusual input")
struct MalformedInputTests {
    static let real = #"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1721347022557,"T":1721347022553,"s":"BTCUSDT","U":4984028370826,"u":4984028373334,"pu":4984028370730,"b":[["1000.00","569.567"],["63620.10","0.000"]],"a":[["63944.00","0.095"]]}}"#

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = Array(Self.real.utf8)
        var m = MarketMessage()
        for n in 0..<bytes.count {
            #expect(throws: WireError.self) { try MarketDecoder.decode(Array(bytes[0..<n]), into: &m) }
        }
        #expect(try MarketDecoder.decode(bytes, into: &m) == .depthUpdate)
    }

    @Test func fieldOrderAndUnknownFieldsDoNotMatter() throws {
        let shuffled = #"{"data":{"a":[["63944.00","0.095"]],"x":{"nested":[1,2,{"y":null}]},"pu":4,"b":[["1.5","2"]],"u":10,"U":5,"s":"ethusdt","E":7,"e":"depthUpdate","z":"\"quoted\\"}, "stream" : "ethusdt@depth" }"#
        var m = MarketMessage()
        #expect(try MarketDecoder.decode(shuffled, into: &m) == .depthUpdate)
        #expect(m.depth.symbol.description == "ETHUSDT" && m.depth.firstUpdateID == 5 && m.depth.finalUpdateID == 10)
        #expect(m.depth.prevFinalUpdateID == 4 && m.depth.bids.count == 1 && m.depth.asks.count == 1)
    }

    @Test("bad values are error values", arguments: [
        (#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["1e5","1"]],"a":[]}"#, "level"),
        (#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["--1","1"]],"a":[]}"#, "level"),
        (#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["1.000000001","1"]],"a":[]}"#, "level"),
        (#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":99999999999999999999,"pu":0,"b":[],"a":[]}"#, "u"),
        (#"{"e":"depthUpdate","s":"BTCUSDT","U":1.5,"u":2,"pu":0,"b":[],"a":[]}"#, "U"),
        (#"{"e":"depthUpdate","s":"BTCUSDT","u":2,"pu":0,"b":[],"a":[]}"#, "missing"),
        (#"{"e":"depthUpdate","s":"","U":1,"u":2,"b":[],"a":[]}"#, "symbol"),
        (#"{"e":"bookTicker","s":"BTCUSDT","u":2,"b":"1","B":"1","a":"1e3","A":"1"}"#, "a"),
        (#"{"e":"trade","s":"BTCUSDT","t":1,"p":"1","q":"1"}"#, "missing"),
        (#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"b":[["1"]],"a":[]}"#, "unexpected"),
        (#"[1,2,3]"#, "object"),
        (#"{"e":"depthUpdate"} trailing"#, "unexpected"),
        (#"{"lastUpdateId":"x","bids":[],"asks":[]}"#, "lastUpdateId"),
    ])
    func badValues(json: String, mentions: String) {
        var m = MarketMessage()
        do {
            let kind = try MarketDecoder.decode(json, into: &m)
            Issue.record("decoded as \(kind)")
        } catch {
            #expect(error.description.contains(mentions), "\(error)")
        }
    }

    @Test func nestingBombIsRefused() {
        let deep = #"{"x":"# + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        var m = MarketMessage()
        #expect(throws: WireError.self) { try MarketDecoder.decode(deep, into: &m) }
    }

    @Test func otherMessagesAreNotErrors() throws {
        var m = MarketMessage()
        #expect(try MarketDecoder.decode(#"{"result":null,"id":1}"#, into: &m) == .other)
        #expect(try MarketDecoder.decode(#"{"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate"}]}"#, into: &m) == .other)
        #expect(try MarketDecoder.decode(#"{"e":"kline","s":"BTCUSDT","k":{"b":"x","u":"y"}}"#, into: &m) == .other)
        // A field of an uninteresting type that happens to share a name is skipped, not fatal.
        #expect(try MarketDecoder.decode(#"{"e":"24hrTicker","s":"BTCUSDT","p":"-1e5","b":{},"u":"x"}"#, into: &m) == .other)
    }

    @Test func scratchIsReusedAcrossMessages() throws {
        var m = MarketMessage(levelCapacity: 2)
        _ = try MarketDecoder.decode(Self.real, into: &m)
        #expect(m.depth.bids.count == 2)
        _ = try MarketDecoder.decode(#"{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[],"a":[]}"#, into: &m)
        #expect(m.depth.bids.isEmpty && m.depth.prevFinalUpdateID == unknownUpdateID)
    }

    @Test func jsonStringsRoundTrip() throws {
        for text in ["plain", "quote \" and backslash \\", "line\nbreak\ttab\r", "bell \u{7} é"] {
            #expect(try JSONValue.parse(JSONString.quoted(text)) == .string(text))
        }
        #expect(String(decoding: binanceErrorBody(code: -1000, message: "Path /a\"b"), as: UTF8.self) == #"{"code":-1000,"msg":"Path /a\"b"}"#)
    }

    @Test func jsonValueKeepsNumbersExact() throws {
        let v = try JSONValue.parse(#"{"a":[1.10000000000000000001,-2e5,"x\"y\u00e9"],"b":{"c":true,"d":null}}"#)
        #expect(v["a"]?.arrayValue?[0] == .number("1.10000000000000000001"))
        #expect(v["a"]?.arrayValue?[1] == .number("-2e5"))
        #expect(v["a"]?.arrayValue?[2] == .string("x\"yé"))
        #expect(v["b"]?["c"] == .bool(true))
        #expect(throws: WireError.self) { try JSONValue.parse("{\"a\":}") }
    }
}
