import Foundation
import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

/// The public market-data endpoints beyond the book, checked against what the venue streams and against
/// each other, and funding settlement end to end.
@Suite("Simulated venue: trades, candles, tickers, funding over REST", .serialized)
struct SimMarketDataRESTTests {
    func json(_ port: Int, _ path: String) throws -> JSONValue { try JSONValue.parse(try httpGet(port: port, path: path).body) }

    @Test func tradesCandlesAndTickersAgreeWithTheStream() async throws {
        let server = try await SimServer.start(.init(recordings: [SimMarketDataTests.recording], speed: 20))
        let port = server.port
        // Every aggregate trade the venue streams on `/market` from the start.
        let ws = try WebSocketClient(port: port, path: "/market/stream?streams=btcusdt@aggTrade")
        var streamed: [(id: Int64, price: String, qty: String, maker: Bool)] = []
        while streamed.count < 20 {
            let (opcode, payload) = try ws.next()
            guard opcode == 1, let data = try JSONValue.parse(payload)["data"] else { continue }
            streamed.append((data["a"]!.int64!, data["p"]!.text!, data["q"]!.text!, data["m"]! == .bool(true)))
        }
        let trades = try json(port, "/fapi/v1/aggTrades?symbol=BTCUSDT&limit=1000").arrayValue ?? []
        let byID = Dictionary(trades.map { ($0["a"]!.int64!, $0) }, uniquingKeysWith: { a, _ in a })
        for s in streamed {
            let r = try #require(byID[s.id], "streamed trade \(s.id) is in aggTrades")
            #expect(r["p"]?.text == s.price && r["q"]?.text == s.qty && r["m"] == .bool(s.maker))
        }
        // fromId pages from that trade on.
        let page = try json(port, "/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=\(streamed[5].id)&limit=3").arrayValue ?? []
        #expect(page.map { $0["a"]!.int64! } == Array(streamed[5...7].map(\.id)))

        // Candles, the 24 h ticker and the recent trades count the same trades.
        let all = try json(port, "/fapi/v1/trades?symbol=BTCUSDT&limit=1000").arrayValue ?? []
        let candles = try json(port, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1500").arrayValue ?? []
        let ticker = try json(port, "/fapi/v1/ticker/24hr?symbol=BTCUSDT")
        let counted = candles.reduce(0) { $0 + Int($1.arrayValue![8].int64!) }
        let tickerCount = Int(ticker["count"]!.int64!)
        // The market moves between the three requests: the later answers may hold more trades.
        #expect(all.count <= counted && counted <= tickerCount && tickerCount >= streamed.count, "\(all.count) \(counted) \(tickerCount)")
        for k in candles {
            let row = k.arrayValue!
            #expect(row.count == 12 && row[0].int64 != nil && row[1].text != nil && row[6].int64! == row[0].int64! + 59_999)
            let (o, h, l, c) = (Price(row[1].text!)!, Price(row[2].text!)!, Price(row[3].text!)!, Price(row[4].text!)!)
            #expect(l <= o && l <= c && o <= h && c <= h)
        }
        let five = try json(port, "/fapi/v1/klines?symbol=BTCUSDT&interval=5m").arrayValue ?? []
        #expect(!five.isEmpty && five.allSatisfy { $0.arrayValue![0].int64! % 300_000 == 0 })

        // Tickers and the mark price over one book.
        let book = try json(port, "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT")
        #expect(Price(book["bidPrice"]!.text!)! < Price(book["askPrice"]!.text!)!)
        let prices = try json(port, "/fapi/v2/ticker/price").arrayValue ?? []
        #expect(prices.count == 1 && prices[0]["symbol"]?.text == "BTCUSDT", "every symbol when none is named")
        let premium = try json(port, "/fapi/v1/premiumIndex?symbol=BTCUSDT")
        #expect(premium["lastFundingRate"]?.text == "0.00010000")
        #expect((premium["nextFundingTime"]?.int64 ?? 0) % (8 * 3_600_000) == 0)
        let marks = try json(port, "/fapi/v1/markPriceKlines?symbol=BTCUSDT&interval=1m&limit=5").arrayValue ?? []
        #expect(!marks.isEmpty && marks.allSatisfy { $0.arrayValue![5].text == "0" })

        // Binance's errors.
        let noInterval = try httpGet(port: port, path: "/fapi/v1/klines?symbol=BTCUSDT")
        #expect(String(decoding: noInterval.body, as: UTF8.self) == #"{"code":-1102,"msg":"Mandatory parameter 'interval' was not sent, was empty/null, or malformed."}"#)
        let badInterval = try httpGet(port: port, path: "/fapi/v1/klines?symbol=BTCUSDT&interval=2m")
        #expect(String(decoding: badInterval.body, as: UTF8.self) == #"{"code":-1120,"msg":"Invalid interval."}"#)
        let badSymbol = try httpGet(port: port, path: "/fapi/v1/trades?symbol=btcusdt")
        #expect(badSymbol.status == 400 && String(decoding: badSymbol.body, as: UTF8.self).contains("-1121"))
        let noKey = try httpGet(port: port, path: "/fapi/v1/historicalTrades?symbol=BTCUSDT")
        #expect(noKey.status == 401 && String(decoding: noKey.body, as: UTF8.self).contains("-2014"), "historicalTrades needs an API key")
        // Weights as documented: 24 h tickers of every symbol cost 40.
        let before = try httpGet(port: port, path: "/fapi/v1/ping").headers
        _ = try httpGet(port: port, path: "/fapi/v1/ticker/24hr")
        let after = try httpGet(port: port, path: "/fapi/v1/ping").headers
        func used(_ h: String) -> Int {
            Int(h.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-mbx-used-weight-1m") }!.split(separator: ":")[1].trimmingCharacters())!
        }
        #expect(used(after) - used(before) == 41 || used(after) < used(before), "40 for the ticker, 1 for the ping")
        try await server.shutdown()
    }

    @Test func fundingIsSettledOnPositionsAndReported() async throws {
        let account = SimOrderTests.account
        let server = try await SimServer.start(.init(recordings: [SimMarketDataTests.recording], accounts: [account]))
        let port = server.port
        let client = SignedClient(port: port, credentials: account)
        let bought = try client.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010")
        #expect(bought.json["status"]?.text == "FILLED", "\(bought.text)")
        let key = try #require(try client.send("POST", "/fapi/v1/listenKey", "").json["listenKey"]?.text)
        let user = try WebSocketClient(port: port, path: "/private/ws?listenKey=\(key)&events=ACCOUNT_UPDATE")
        let walletBefore = Notional(try client.send("GET", "/fapi/v3/balance", "").json.arrayValue!.first { $0["asset"]?.text == "USDT" }!["balance"]!.text!)!

        let settled = try httpRequest(port: port, method: "POST", path: "/sim/funding?symbol=BTCUSDT&rate=0.001")
        #expect(settled.status == 200)
        let history = try json(port, "/fapi/v1/fundingRate?symbol=BTCUSDT").arrayValue ?? []
        #expect(history.count == 1 && history[0]["fundingRate"]?.text == "0.00100000")
        let mark = Price(history[0]["markPrice"]!.text!)!
        // A long pays 0.010 × mark × 0.1%.
        let owed = Notional(raw: -(Notional(price: mark, quantity: Quantity("0.010")!)!.raw / 1000))
        let walletAfter = Notional(try client.send("GET", "/fapi/v3/balance", "").json.arrayValue!.first { $0["asset"]?.text == "USDT" }!["balance"]!.text!)!
        #expect(walletAfter - walletBefore == owed)
        let income = try client.send("GET", "/fapi/v1/income", "incomeType=FUNDING_FEE").json.arrayValue ?? []
        #expect(income.count == 1 && Notional(income[0]["income"]!.text!)! == owed)
        var update: JSONValue?
        while update == nil {
            let (opcode, payload) = try user.next()
            guard opcode == 1 else { continue }
            let event = try JSONValue.parse(payload)
            if event["a"]?["m"]?.text == "FUNDING_FEE" { update = event }
        }
        let balance = try #require(update?["a"]?["B"]?.arrayValue?.first)
        #expect(Notional(balance["bc"]!.text!)! == owed && Notional(balance["wb"]!.text!)! == walletAfter)
        #expect(try json(port, "/fapi/v1/premiumIndex?symbol=BTCUSDT")["lastFundingRate"]?.text == "0.00100000")
        try await server.shutdown()
    }
}
