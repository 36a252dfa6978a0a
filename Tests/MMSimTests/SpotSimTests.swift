import Foundation
import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

@Suite("Simulated MEXC spot venue", .serialized)
struct MexcSimTests {
    /// The documentation's signed example: its key, secret, body and signature (Example 2's: Example 1 shows
    /// the same payload with a signature that does not reproduce, as the fixtures' signature vectors note).
    static let docAccount = SimServer.Credentials(apiKey: "mx0aBYs33eIilxBWC5", secret: "45d0b3c26f2644f19bfb98b07741b2f5")
    static let docBody = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
    static let docSignature = "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"

    @Test func signaturesAsDocumentedAndMEXCsErrors() async throws {
        let server = try await SpotSimServer.start(.init(accounts: [Self.docAccount]))
        let port = server.port
        func post(_ body: String, key: String = Self.docAccount.apiKey) throws -> (Int, String) {
            let r = try httpRequest(port: port, method: "POST", path: "/api/v3/order", headers: [("X-MEXC-APIKEY", key)], body: body)
            return (r.status, String(decoding: r.body, as: UTF8.self))
        }
        // The documented signature verifies: the request gets as far as its (old) timestamp.
        let documented = try post(Self.docBody + "&signature=" + Self.docSignature)
        #expect(documented.0 == 400 && documented.1.contains("700003"), "\(documented)")
        let tampered = try post(Self.docBody.replacingOccurrences(of: "quantity=1", with: "quantity=2") + "&signature=" + Self.docSignature)
        #expect(tampered.1 == #"{"code":700002,"msg":"Signature for this request is not valid"}"#)
        let stranger = try post(Self.docBody + "&signature=" + Self.docSignature, key: "nobody")
        #expect(stranger.1.contains("10072"))
        let noKey = try httpRequest(port: port, method: "GET", path: "/api/v3/account")
        #expect(noKey.status == 400 && String(decoding: noKey.body, as: UTF8.self).contains("api key required"))
        // Public data in MEXC's shapes.
        let info = try JSONValue.parse(try httpGet(port: port, path: "/api/v3/exchangeInfo?symbol=QRLUSDT").body)
        let qrl = info["symbols"]?.arrayValue?.first
        #expect(qrl?["quoteAmountPrecision"]?.text == "5" && qrl?["status"]?.text == "1" && qrl?["baseAsset"]?.text == "QRL")
        #expect(try httpGet(port: port, path: "/api/v3/exchangeInfo?symbol=NOPEUSDT").status == 400)
        let depth = try JSONValue.parse(try httpGet(port: port, path: "/api/v3/depth?symbol=QRLUSDT&limit=5").body)
        #expect(depth["bids"]?.arrayValue?.count == 5 && depth["lastUpdateId"] != nil)
        #expect(try httpGet(port: port, path: "/api/v3/klines?symbol=QRLUSDT&interval=60m").status == 200)
        #expect(try httpGet(port: port, path: "/api/v3/klines?symbol=QRLUSDT&interval=1h").status == 400, "MEXC says 60m")
        try await server.shutdown()
    }

    @Test("CCXT mexc, unchanged but for its URLs")
    func ccxtMexc() async throws {
        try Tools.requirePython("ccxt", hint: "pip install ccxt; .ci/run installs it")
        let account = SimServer.Credentials.random()
        let server = try await SpotSimServer.start(.init(accounts: [account]))
        let port = server.port
        let result = try await onThread {
            try run(["python3", Fixtures.packageRoot + "/scripts/ccxt_mexc_check.py", String(port), account.apiKey, account.secret])
        }
        let balances = try await server.balances(apiKey: account.apiKey)
        try await server.shutdown()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ccxt mexc ok"))
        // 200 QRL sold at market, about 200 bought for 10 USDT; nothing left locked.
        #expect(balances["QRL"].map { $0.locked.isZero && $0.free > Notional(units: 199_800) && $0.free < Notional(units: 200_100) } == true, "\(String(describing: balances["QRL"]))")
        #expect(balances["USDT"].map { $0.locked.isZero && $0.free > Notional(units: 9_990) } == true)
    }
}

@Suite("Simulated Binance spot venue", .serialized)
struct BinanceSpotSimTests {
    @Test func signedRequestsAndBinanceSpotsErrors() async throws {
        let account = SimServer.Credentials.random()
        let server = try await SpotSimServer.start(.init(dialect: .binanceSpot, accounts: [account]))
        let client = SignedClient(port: server.port, credentials: account)
        let badSignature = try client.send("GET", "/api/v3/account", "", signature: String(repeating: "0", count: 64))
        #expect(badSignature.text == #"{"code":-1022,"msg":"Signature for this request is not valid."}"#)
        let account0 = try client.send("GET", "/api/v3/account", "")
        let balances = account0.json["balances"]?.arrayValue ?? []
        #expect(balances.first { $0["asset"]?.text == "USDT" }?["free"]?.text == "10000.00000000")
        let unknown = try client.send("GET", "/api/v3/order", "symbol=BTCUSDT&orderId=1")
        #expect(unknown.text == #"{"code":-2013,"msg":"Order does not exist."}"#)
        let tooBig = try client.send("POST", "/api/v3/order", "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=2&price=70000")
        #expect(tooBig.text == #"{"code":-2010,"msg":"Account has insufficient balance for requested action."}"#)
        let gtx = try client.send("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.001&price=50000")
        #expect(gtx.text.contains("-1115"), "GTX is a futures time in force")
        #expect(try httpGet(port: server.port, path: "/api/v3/exchangeInfo?symbol=ETHUSDT").status == 400)
        let info = try JSONValue.parse(try httpGet(port: server.port, path: #"/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22%5D"#).body)
        #expect(info["symbols"]?.arrayValue?.first?["filters"]?.arrayValue?.count == 3)
        try await server.shutdown()
    }

    @Test("CCXT binance (spot), unchanged but for its URLs")
    func ccxtBinanceSpot() async throws {
        try Tools.requirePython("ccxt", hint: "pip install ccxt; .ci/run installs it")
        let account = SimServer.Credentials.random()
        let server = try await SpotSimServer.start(.init(dialect: .binanceSpot, accounts: [account]))
        let port = server.port
        let result = try await onThread {
            try run(["python3", Fixtures.packageRoot + "/scripts/ccxt_binance_spot_check.py", String(port), account.apiKey, account.secret])
        }
        let balances = try await server.balances(apiKey: account.apiKey)
        try await server.shutdown()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ccxt binance spot ok"))
        #expect(balances["BTC"].map { $0.locked.isZero && $0.free > Notional("0.999")! && $0.free < Notional("0.9994")! } == true, "0.001 BTC sold, about 0.0003 bought for 20 USDT; nothing locked")
    }
}
