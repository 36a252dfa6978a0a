import MMCore
import MMEngine
import TestSupport
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test func shippedConfigurationsAreValid() throws {
        let c = try EngineConfig.load(path: Fixtures.packageRoot + "/configs/config.yaml", environment: [:])
        #expect(c.venue == .sim && !c.dryRun && c.quoteIntervalMillis == 250)
        let live = try EngineConfig.load(path: Fixtures.packageRoot + "/configs/binance-ethusdc.example.yaml", environment: [:])
        #expect(live.venue == .binance && live.dryRun, "a real venue is dry-run unless the file says otherwise")
        #expect(live.symbol == "ETHUSDC" && live.strategy.baseSize == Quantity("0.008")!)
        #expect(live.risk.dailyMax == Notional("5")! && live.risk.netMax == Quantity("0.01")! && live.risk.stopLoss == Notional("-10")!)
    }

    @Test func everyProblemAtOnceWithKeyAndLine() {
        let yaml = """
            venue: simulator
            quoteIntervalMs: fast
            strategy:
              baseSize: 1e-3
              levels: 20
              halfSpred: 2
            risk:
              stopLoss: 10
            journal:
              sync: always
            """
        do {
            _ = try EngineConfig.parse(yaml: yaml, environment: [:])
            Issue.record("accepted an invalid configuration")
        } catch {
            let byKey = Dictionary(error.problems.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byKey["venue"]?.line == 1)
            #expect(byKey["quoteIntervalMs"]?.line == 2)
            #expect(byKey["strategy.baseSize"]?.line == 4, "1e-3 is refused: exact decimals only")
            #expect(byKey["strategy.levels"]?.line == 5)
            #expect(byKey["strategy.halfSpred"]?.message.contains("did you mean strategy.halfSpreadBps") == true)
            #expect(byKey["risk.stopLoss"]?.line == 8)
            #expect(byKey["journal.sync"]?.message.contains("expected batch, write-ahead or halt") == true)
            #expect(error.problems.count == 7)
            #expect(error.description.contains("line 6: strategy.halfSpred"))
        }
    }

    @Test func secretsInAFileAreRefusedWithDirections() {
        let yaml = """
            venue: binance
            binance:
              apiKey: abc123
              apiSecret: ${SOME_SECRET:-xyz}
            """
        do {
            _ = try EngineConfig.parse(yaml: yaml, environment: [:])
            Issue.record("accepted a key in a file")
        } catch {
            #expect(error.problems.count == 2)
            for p in error.problems {
                #expect(p.message.contains("BINANCE_API_KEY") && p.message.contains("BINANCE_API_SECRET"))
                #expect(!p.description.contains("abc123") && !p.description.contains("xyz"), "the value itself is never echoed")
            }
        }
    }

    @Test func environmentExpansionAndOverrides() throws {
        let yaml = """
            symbol: ${MM_TEST_SYMBOL}
            risk:
              netMax: ${NET_MAX:-0.05}
              dailyMax: 5 # ${NOT_EXPANDED_IN_COMMENTS}
            """
        let env = ["MM_TEST_SYMBOL": "ETHUSDT", "MM_RISK_DAILYMAX": "7.5", "MM_STRATEGY_LEVELS": "3"]
        // MM_TEST_SYMBOL is not a key: reported, but only as an override problem.
        do {
            _ = try EngineConfig.parse(yaml: yaml, environment: env)
            Issue.record("unknown MM_ variable accepted")
        } catch {
            #expect(error.problems.map(\.environment) == ["MM_TEST_SYMBOL"])
        }
        let c = try EngineConfig.parse(yaml: yaml.replacingOccurrences(of: "MM_TEST_SYMBOL", with: "TEST_SYMBOL"), environment: [
            "TEST_SYMBOL": "ETHUSDT", "MM_RISK_DAILYMAX": "7.5", "MM_STRATEGY_LEVELS": "3",
        ])
        #expect(c.symbol == "ETHUSDT" && c.risk.netMax == Quantity("0.05")! && c.risk.dailyMax == Notional("7.5")! && c.strategy.levels == 3)
        do {
            _ = try EngineConfig.parse(yaml: "symbol: ${UNSET_VARIABLE}\n", environment: ["MM_RISK_NETMAX": "lots"])
            Issue.record("unset variable accepted")
        } catch {
            #expect(error.problems.contains { $0.line == 1 && $0.message.contains("UNSET_VARIABLE") })
            #expect(error.problems.contains { $0.environment == "MM_RISK_NETMAX" && $0.key == "risk.netMax" })
        }
    }

    @Test func liveTradingNeedsTheFlagAndKeysFromTheEnvironment() throws {
        var c = try EngineConfig.parse(yaml: "venue: binance\ndryRun: false\n", environment: [:])
        var o = RunOptions()
        o.environment = [:]
        #expect(throws: EngineError.self) { try Engine.checkSafety(c, o) }
        o.live = true
        #expect(throws: EngineError.self, "no keys") { try Engine.checkSafety(c, o) }
        o.environment = ["BINANCE_API_KEY": "k", "BINANCE_API_SECRET": "s"]
        try Engine.checkSafety(c, o)
        c.dryRun = true
        o.live = false
        try Engine.checkSafety(c, o)
    }
}
