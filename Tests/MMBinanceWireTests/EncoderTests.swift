import MMBinanceWire
import MMBook
import MMCore
import MMReplay
import TestSupport
import Testing

@Suite("Encoding Binance market messages")
struct EncoderTests {
    @Test("decode then encode reproduces Binance's bytes exactly", arguments: ["btcusdt_20240718.gz", "ethusdt_20240808.gz"])
    func byteExactRoundTrip(file: String) throws {
        var m = MarketMessage()
        let reader = try RecordingReader(paths: [Fixtures.recording(file)])
        var checked = 0
        while let (line, f) = try reader.next() {
            defer { try? reader.consume(file: f) }
            let original = Array(line.json)
            let kind = try MarketDecoder.decode(line.json, into: &m)
            var out: [UInt8] = []
            let instrument = EmbeddedInstruments.all.first { $0.symbol == m.depth.symbol || $0.symbol == m.bookTicker.symbol || $0.symbol == m.trade.symbol }
            guard let instrument else { continue }
            let encoder = MarketEncoder(instrument: instrument)
            let stream = streamName(original)
            switch kind {
            case .depthUpdate: encoder.depthUpdate(m.depth, stream: stream, into: &out)
            case .bookTicker: encoder.bookTicker(m.bookTicker, stream: stream, into: &out)
            case .trade: encoder.trade(m.trade, aggregate: false, stream: stream, into: &out)
            default: continue
            }
            #expect(out == original, "\(String(decoding: original.prefix(120), as: UTF8.self))")
            checked += 1
        }
        #expect(checked > 10_000)
    }

    func streamName(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes.prefix(80), as: UTF8.self)
        guard text.hasPrefix(#"{"stream":""#) else { return nil }
        let rest = text.dropFirst(11)
        return String(rest.prefix { $0 != "\"" })
    }

    @Test func snapshotAndErrorBodies() throws {
        let encoder = MarketEncoder(priceDigits: 2, quantityDigits: 3)
        var out: [UInt8] = []
        encoder.depthSnapshot(
            lastUpdateID: 7, eventTimeMillis: 1, transactionTimeMillis: 2,
            bids: [PriceLevel(price: Price("100.5")!, quantity: Quantity("1")!)], asks: [], into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"lastUpdateId":7,"E":1,"T":2,"bids":[["100.50","1.000"]],"asks":[]}"#)
        var m = MarketMessage()
        #expect(try MarketDecoder.decode(out, into: &m) == .depthSnapshot)
        #expect(String(decoding: binanceErrorBody(code: -1121, message: "Invalid symbol."), as: UTF8.self) == #"{"code":-1121,"msg":"Invalid symbol."}"#)
    }
}
