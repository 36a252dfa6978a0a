import MMBinanceWire
import MMBook
import MMCore
import MMReplay
import TestSupport
import Testing

@Suite("Decoding every real message shape in the fixtures")
struct RealMessageTests {
    static let nautilusMarket = "binance_usdm/nautilus_trader/crates/adapters/binance/test_data/futures/market_data_json/"
    static let nautilusWS = "binance_usdm/nautilus_trader/tests/integration_tests/adapters/binance/resources/ws_messages/"

    @Test("nautilus_trader market messages", arguments: [
        ("agg_trade_stream.json", MarketMessage.Kind.aggTrade), ("book_ticker_stream.json", .bookTicker),
        ("depth_update_stream.json", .depthUpdate), ("kline_stream_closed.json", .other),
        ("kline_stream_open.json", .other), ("liquidation_stream.json", .other), ("mark_price_stream.json", .other),
        ("ticker_stream.json", .other), ("trade_stream.json", .trade),
    ])
    func nautilusMarketData(file: String, kind: MarketMessage.Kind) throws {
        var m = MarketMessage()
        #expect(try MarketDecoder.decode(Fixtures.bytes(Self.nautilusMarket + file), into: &m) == kind)
    }

    @Test func nautilusDepthValues() throws {
        var m = MarketMessage()
        _ = try MarketDecoder.decode(Fixtures.bytes(Self.nautilusMarket + "depth_update_stream.json"), into: &m)
        #expect(m.depth.symbol.description == "BTCUSDT")
        #expect(m.depth.firstUpdateID == 157 && m.depth.finalUpdateID == 160 && m.depth.prevFinalUpdateID == 149)
        #expect(m.depth.eventTimeMillis == 123_456_789 && m.depth.transactionTimeMillis == 123_456_788)
        #expect(m.depth.bids == [PriceLevel(price: Price("0.0024")!, quantity: Quantity("10")!)])
        #expect(m.depth.asks == [PriceLevel(price: Price("0.0026")!, quantity: Quantity("100")!)])

        _ = try MarketDecoder.decode(Fixtures.bytes(Self.nautilusWS + "ws_futures_depth_update.json"), into: &m)
        #expect(m.depth.bids.count == 5 && m.depth.bids[1].price == Price("7403.90")!)
        #expect(m.depth.finalUpdateID == 390_497_878)

        _ = try MarketDecoder.decode(Fixtures.bytes(Self.nautilusMarket + "book_ticker_stream.json"), into: &m)
        #expect(m.bookTicker.symbol.description == "BNBUSDT" && m.bookTicker.updateID == 400_900_217)
        #expect(m.bookTicker.bidPrice == Price("25.3519")! && m.bookTicker.askQuantity == Quantity("40.66")!)

        _ = try MarketDecoder.decode(Fixtures.bytes(Self.nautilusMarket + "agg_trade_stream.json"), into: &m)
        #expect(m.trade.tradeID == 5_933_014 && m.trade.buyerIsMaker && m.trade.aggressorSide == .sell)
        #expect(m.trade.price == Price("0.001")! && m.trade.quantity == Quantity("100")!)
    }

    @Test("nautilus_trader ws_futures market messages", arguments: [
        ("ws_futures_book_ticker.json", MarketMessage.Kind.bookTicker), ("ws_futures_depth_diff_update.json", .depthUpdate),
        ("ws_futures_depth_update.json", .depthUpdate), ("ws_futures_ticker_24hr.json", .other),
        ("ws_futures_order_update_adl.json", .other), ("ws_futures_trade_lite.json", .other),
    ])
    func nautilusWS(file: String, kind: MarketMessage.Kind) throws {
        var m = MarketMessage()
        #expect(try MarketDecoder.decode(Fixtures.bytes(Self.nautilusWS + file), into: &m) == kind)
    }

    @Test func cryptoMsgParserRawMessages() throws {
        // 51 real captures: spot, coin-M and USDⓈ-M, envelope and bare, with arrays as data.
        var counts: [MarketMessage.Kind: Int] = [:]
        var m = MarketMessage()
        for line in Fixtures.lines("crypto_msg_parser/binance_raw_messages.jsonl") {
            guard case .object = try JSONValue.parse(line), let raw = try JSONValue.parse(line)["raw"]?.text else {
                Issue.record("bad fixture line")
                continue
            }
            let fn = try JSONValue.parse(line)["fn"]?.text ?? ""
            let mod = try JSONValue.parse(line)["mod"]?.text ?? ""
            let kind = try MarketDecoder.decode(raw, into: &m)
            counts[kind, default: 0] += 1
            switch mod {
            case "l2_event":
                #expect(kind == .depthUpdate, "\(mod) \(fn)")
                #expect((m.depth.prevFinalUpdateID == unknownUpdateID) == (fn == "spot"), "\(fn): pu presence")
            case "l2_topk": #expect(kind == .partialDepth, "\(mod) \(fn)")
            case "bbo": #expect(kind == .bookTicker, "\(mod) \(fn)")
            case "l2_snapshot":
                #expect(kind == .depthSnapshot, "\(mod) \(fn)")
                #expect(m.snapshot.lastUpdateID > 0 && !m.snapshot.bids.isEmpty)
            case "trade": #expect(kind == (fn == "option" ? .other : .aggTrade), "\(mod) \(fn)")
            default: #expect(kind == .other, "\(mod) \(fn)")
            }
        }
        #expect(counts.values.reduce(0, +) == 51)
    }

    @Test func cryptofeedCapture() throws {
        // 30 s of four USDⓈ-M symbols: 764 diffs, 613 bookTickers, 91 aggTrades, 67 klines.
        var counts: [MarketMessage.Kind: Int] = [:]
        var m = MarketMessage()
        let reader = try RecordingReader(paths: [Fixtures.path("binance_usdm/cryptofeed_sample/BINANCE_FUTURES.ws.1.0")])
        while let (line, file) = try reader.next() {
            counts[try MarketDecoder.decode(line.json, into: &m), default: 0] += 1
            try reader.consume(file: file)
        }
        #expect(counts[.depthUpdate] == 764)
        #expect(counts[.bookTicker] == 613)
        #expect(counts[.aggTrade] == 91)
        #expect(counts[.other] == 67)
        #expect(reader.malformedLines == 0)
    }

    @Test func cryptofeedRestSnapshots() throws {
        var m = MarketMessage()
        for sym in ["AKROUSDT", "CTKUSDT", "KEEPUSDT", "SUSHIUSDT"] {
            let kind = try MarketDecoder.decode(
                Fixtures.bytes("binance_usdm/cryptofeed_sample/fapi_v1_depth_\(sym)_limit1000_20210722.json"), into: &m)
            #expect(kind == .depthSnapshot)
            #expect(m.snapshot.bids.count == 1000 || m.snapshot.asks.count == 1000 || m.snapshot.bids.count > 100)
        }
    }

    @Test("hftbacktest recording lines", arguments: [
        ("btcusdt_20240718.gz", 3326, 7113, 974, 1, 0), ("ethusdt_20240808.gz", 6586, 53992, 14076, 1, 0),
        ("btcusdt_20230404.dat.gz", 4322, 6765, 2197, 1, 99),
    ])
    func hftbacktest(file: String, diffs: Int, tickers: Int, trades: Int, snapshots: Int, others: Int) throws {
        var counts: [MarketMessage.Kind: Int] = [:]
        var m = MarketMessage()
        let reader = try RecordingReader(paths: [Fixtures.recording(file)])
        var maxLevels = 0
        while let (line, f) = try reader.next() {
            let kind = try MarketDecoder.decode(line.json, into: &m)
            counts[kind, default: 0] += 1
            if kind == .depthUpdate { maxLevels = max(maxLevels, m.depth.bids.count + m.depth.asks.count) }
            try reader.consume(file: f)
        }
        #expect(counts[.depthUpdate] == diffs)
        #expect(counts[.bookTicker] == tickers)
        #expect(counts[.trade] == trades)
        #expect(counts[.depthSnapshot] == snapshots)
        #expect(counts[.other, default: 0] == others)
        #expect(maxLevels > 10)
    }

    @Test func prettyPrintedRestDepth() throws {
        // Multi-line, indented REST body: whitespace everywhere between tokens.
        var m = MarketMessage()
        let kind = try MarketDecoder.decode(
            Fixtures.bytes(
                "binance_usdm/nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses/http_futures_market_depth.json"),
            into: &m)
        #expect(kind == .depthSnapshot)
        #expect(m.snapshot.lastUpdateID == 1_027_024 && m.snapshot.eventTimeMillis == 1_589_436_922_972)
        #expect(m.snapshot.bids == [PriceLevel(price: Price("4")!, quantity: Quantity("431")!)])
        #expect(m.snapshot.asks == [PriceLevel(price: Price("4.000002")!, quantity: Quantity("12")!)])
    }

    @Test("fixed-layout depth reader agrees with the general decoder on every real diff", arguments: [
        "btcusdt_20240718.gz", "ethusdt_20240808.gz", "btcusdt_20230404.dat.gz",
    ])
    func fastPathEquivalence(file: String) throws {
        var fast = MarketMessage()
        var general = MarketMessage()
        let reader = try RecordingReader(paths: [Fixtures.recording(file)])
        var diffs = 0
        while let (line, f) = try reader.next() {
            let a = try MarketDecoder.decode(line.json, into: &fast)
            let b = try MarketDecoder.decode(line.json, into: &general, fastPath: false)
            #expect(a == b)
            if a == .depthUpdate {
                diffs += 1
                #expect(fast.depth.bids == general.depth.bids && fast.depth.asks == general.depth.asks)
                #expect(fast.depth.symbol == general.depth.symbol)
                #expect(fast.depth.firstUpdateID == general.depth.firstUpdateID)
                #expect(fast.depth.finalUpdateID == general.depth.finalUpdateID)
                #expect(fast.depth.prevFinalUpdateID == general.depth.prevFinalUpdateID)
                #expect(fast.depth.eventTimeMillis == general.depth.eventTimeMillis)
                #expect(fast.depth.transactionTimeMillis == general.depth.transactionTimeMillis)
            }
            try reader.consume(file: f)
        }
        #expect(diffs > 3000)
    }

    @Test("near-miss layouts fall back to the general decoder", arguments: [
        #"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"T":2,"s":"BTCUSDT","U":3,"u":4,"pu":2,"b":[["1.5","2"]],"a":[],"x":1}}"#,
        #"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"T":2,"s":"BTCUSDT","U":3,"u":4,"pu":2,"b":[["1.5", "2"]],"a":[]}}"#,
        #"{"e":"depthUpdate","E":1,"T":2,"s":"BTCUSDT","U":3,"u":4,"pu":2,"b":[["1.12345678000","2"]],"a":[]}"#,
        #"{"e":"depthUpdate","E":1,"T":2,"s":"BTCUSDT","U":3,"u":4,"pu":2,"b":[["12345678.5","2"]],"a":[]} "#,
    ])
    func nearMisses(json: String) throws {
        var fast = MarketMessage()
        var general = MarketMessage()
        #expect(try MarketDecoder.decode(json, into: &fast) == .depthUpdate)
        _ = try MarketDecoder.decode(Array(json.utf8), into: &general)
        #expect(fast.depth.bids.count == 1 && fast.depth.bids == general.depth.bids)
        #expect(fast.depth.bids[0].quantity == Quantity("2")!)
        #expect(fast.depth.finalUpdateID == 4)
    }

    @Test func partialDepthIsNotTakenForADiff() throws {
        var m = MarketMessage()
        let json = #"{"stream":"ethusdt@depth20@100ms","data":{"e":"depthUpdate","E":1,"T":2,"s":"ETHUSDT","U":3,"u":4,"pu":2,"b":[["1.5","2"]],"a":[]}}"#
        #expect(try MarketDecoder.decode(json, into: &m) == .partialDepth)
    }

    @Test func pythonDumpedSnapshotWithSpaces() throws {
        var m = MarketMessage()
        let kind = try MarketDecoder.decode(
            Fixtures.bytes("binance_usdm/depth_recordings/hftbacktest_usdm_btcusdt_20230404_snapshot_line17_localts1680652700599351.json"),
            into: &m)
        #expect(kind == .depthSnapshot)
        #expect(m.snapshot.lastUpdateID == 2_710_246_765_483)
        #expect(m.snapshot.bids.count == 1000 && m.snapshot.asks.count == 1000)
        #expect(m.snapshot.bids[0] == PriceLevel(price: Price("28145.10")!, quantity: Quantity("3.818")!))
    }

    @Test func realExchangeInfo() throws {
        let body = Fixtures.bytes("binance_usdm/cryptofeed_sample/fapi_v1_exchangeInfo_20210722.json")
        let (instruments, rejected) = try ExchangeInfo.instruments(from: body)
        #expect(instruments.count + rejected.count == 122)
        #expect(rejected.isEmpty, "\(rejected)")
        let btc = try #require(instruments.first { $0.symbol.description == "BTCUSDT" })
        #expect(btc.tickSize.description == "0.01" && btc.stepSize.description == "0.001")
        #expect(btc.minNotional.description == "5" && btc.minQuantity.description == "0.001")
        #expect(btc.percentPriceUp?.description == "1.15")
        #expect(EmbeddedInstruments.all.count == 6)
        let nautilus = Fixtures.bytes(
            "binance_usdm/nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses/http_futures_market_exchange_info.json")
        let (more, moreRejected) = try ExchangeInfo.instruments(from: nautilus)
        #expect(!more.isEmpty && moreRejected.isEmpty)
    }
}
