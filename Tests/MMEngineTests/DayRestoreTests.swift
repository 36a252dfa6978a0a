import Foundation
import MMBinance
import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMEngine
import MMSim
import TestSupport
import Testing

/// A restarted engine counts the day's losses it did not see (fills while it was down) from the venue.
@Suite("Day PnL after a restart")
struct DayRestoreTests {
    let t = EngineTests()

    func signed(_ rest: Endpoint, _ c: SimServer.Credentials, _ method: String, _ path: String, _ query: String) async throws -> HTTPReply {
        let q = query + "&timestamp=\(UnixNanos.now().millis)"
        let s = q + "&signature=" + HMACSigner(secret: c.secret).signature(of: q)
        return try await VenueREST.send(method, rest, path: path + "?" + s, headers: [("X-MBX-APIKEY", c.apiKey)])
    }

    @Test func theVenuesIncomeHistoryIsTheDaysTruth() async throws {
        let account = SimServer.Credentials.random()
        var simConfig = SimServer.Configuration(recordings: [EngineTests.recording], accounts: [account])
        simConfig.speed = 1
        let sim = try await SimServer.start(simConfig)
        let rest = try #require(Endpoint(url: sim.restURL))
        // Trades the engine never saw: a round trip of market orders, taker fees on both legs.
        for side in ["BUY", "SELL"] {
            let r = try await signed(rest, account, "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=\(side)&type=MARKET&quantity=0.004")
            #expect(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
        }
        let income = try JSONValue.parse(try await signed(rest, account, "GET", "/fapi/v1/income", "symbol=BTCUSDT&limit=1000").body).arrayValue ?? []
        let commissions = income.filter { $0["incomeType"]?.text == "COMMISSION" }
        #expect(commissions.count == 2, "one commission per fill: \(income)")
        let fees = commissions.reduce(Notional.zero) { $0 - (Notional($1["income"]?.text ?? "0") ?? .zero) }
        let realized = income.filter { $0["incomeType"]?.text == "REALIZED_PNL" }.reduce(Notional.zero) {
            $0 + (Notional($1["income"]?.text ?? "0") ?? .zero)
        }
        #expect(fees > .zero)

        let yaml = """
            venue: binance
            dryRun: false
            symbol: BTCUSDT
            journal:
              path: ""
            gateway:
              heartbeatSeconds: 0

            """
            + EngineConfig.endpointsYAML(restURL: sim.restURL, streamURL: sim.streamURL)
        var options = RunOptions()
        options.live = true
        options.environment = ["BINANCE_API_KEY": account.apiKey, "BINANCE_API_SECRET": account.secret]
        let engine = Engine(config: try t.config(yaml), options: options)
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await t.eventually(15) { gateway.state().fees == fees }, "fees from the venue: \(gateway.state().fees) vs \(fees)")
        #expect(gateway.state().realizedNet == realized - fees)
        _ = try await engine.stop()
        try await sim.shutdown()
    }
}
