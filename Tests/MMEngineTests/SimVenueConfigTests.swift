import Foundation
import MMCore
import MMEngine
import MMSim
import TestSupport
import Testing

/// The shipped configurations against the embedded simulated venue.
@Suite("Shipped configurations on the simulated venue", .serialized)
struct SimVenueConfigTests {
    let t = EngineTests()

    /// `configs/binance-ethusdc.example.yaml` with the venue switched to `sim` and orders on: ETHUSDC, listed
    /// on the shipped ETHUSDT book, margined and charged in USDC.
    @Test func theETHUSDCExampleQuotesAndFillsInUSDC() async throws {
        var yaml = try String(contentsOfFile: Fixtures.packageRoot + "/configs/binance-ethusdc.example.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "venue: binance             # or binance-testnet", with: "venue: sim")
            .replacingOccurrences(of: "dryRun: true", with: "dryRun: false")
            .replacingOccurrences(of: "  port: 9100", with: "  port: 0").replacingOccurrences(of: "  port: 9101", with: "  port: 0")
            .replacingOccurrences(of: "path: state/ethusdc-journal.jsonl", with: "path: \"\"")
        #expect(yaml.contains("venue: sim") && yaml.contains("symbol: ETHUSDC"))
        // Ten times real time, so the three-minute recording brings fills within the test.
        yaml += "\nsim:\n  recording: \(Fixtures.packageRoot)/recordings/ethusdt_20240718.gz\n  speed: 10\n"
        let engine = Engine(config: try EngineConfig.parse(yaml: yaml, environment: [:]), options: RunOptions())
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(engine.instrumentInUse?.symbol.description == "ETHUSDC" && engine.instrumentInUse?.minNotional == Notional(units: 20))
        #expect(try await t.eventually(90) { gateway.state().fills >= 1 }, "filled on the replayed book")
        let sim = try #require(engine.simHandle)
        let wallets = try await sim.wallets(apiKey: engine.credentialsInUse!.apiKey)
        #expect(wallets["USDT"] == Notional(units: 10_000), "USDT untouched")
        #expect((wallets["USDC"] ?? .zero) < Notional(units: 10_000), "fees paid in USDC: \(wallets)")
        #expect(gateway.state().fees > .zero)
        let summary = try await engine.stop()
        #expect(summary.openOrdersAtExit == 0)
    }

    /// Dry run on the simulated venue: quotes are acknowledged locally and nothing reaches the venue.
    @Test func aDryRunSendsNothing() async throws {
        let engine = try t.embedded("dryRun: true\n")
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await t.eventually(20) { gateway.state().ordersSent >= 2 }, "quoting locally")
        try await t.ticks(engine, 8)
        #expect(try await engine.simHandle!.sample(apiKey: engine.credentialsInUse!.apiKey)?.openOrders == 0, "nothing at the venue")
        let summary = try await engine.stop()
        #expect(summary.json.contains(#""dry_run":true"#))
    }
}
