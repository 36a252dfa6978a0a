import Foundation
import MMEngine
import MMSim
import TestSupport
import Testing

/// `mm accounts` end to end: the binary, a store on disk, a master key file, and the simulated venue
/// checking the stored key and secret. No output of any command holds the key or the secret.
@Suite("mm accounts", .serialized)
struct AccountsCommandTests {
    /// Runs `mm` with `environment` added and `input` on standard input.
    func mm(_ arguments: [String], environment: [String: String], input: String = "") throws -> (status: Int32, output: String) {
        let r = try Tools.runMM(arguments, environment: environment, input: input)
        return (r.status, r.stdout + r.stderr)
    }

    @Test func addListTestRotateAndRemoveWithoutEverShowingASecret() async throws {
        let account = SimServer.Credentials.random()
        let sim = try await SimServer.start(.init(recordings: [EngineTests.recording], accounts: [account]))
        let dir = Fixtures.temporaryPath("accounts-\(UInt64.random(in: 0 ... .max))")
        let env = ["MM_MASTER_KEY_FILE": dir + "/master.key", "MM_ACCOUNT_STORE": dir + "/accounts.sqlite"]
        let url = "http://127.0.0.1:\(sim.port)"
        var outputs: [String] = []
        func step(_ args: [String], _ extra: [String: String] = [:], input: String = "") async throws -> (status: Int32, output: String) {
            let r = try await onThread { try self.mm(["accounts"] + args, environment: env.merging(extra) { $1 }, input: input) }
            outputs.append(r.output)
            return r
        }
        #expect(try await step(["new-master-key", "--out", dir + "/master.key"]).status == 0)
        // The key and secret on standard input.
        let added = try await step(["add", "--name", "usdm", "--venue", "binance-usdm"], input: account.apiKey + "\n" + account.secret + "\n")
        #expect(added.status == 0, "\(added.output)")
        // From the environment, with a wrong secret.
        let wrong = try await step(["add", "--name", "wrong", "--venue", "binance-usdm"], ["MM_ACCOUNT_API_KEY": account.apiKey, "MM_ACCOUNT_API_SECRET": "not-the-secret"])
        #expect(wrong.status == 0)
        let listed = try await step(["list"])
        #expect(listed.output.contains(#""account":"usdm""#) && listed.output.contains(#""account":"wrong""#))
        let ok = try await step(["test", "--name", "usdm", "--rest-url", url])
        #expect(ok.status == 0 && ok.output.contains(#""ok":true"#), "\(ok.output)")
        let refused = try await step(["test", "--name", "wrong", "--rest-url", url])
        #expect(refused.status == 1 && refused.output.contains(#""code":-1022"#) && refused.output.contains(#""kind":"auth""#), "\(refused.output)")
        // Rotation: the old key no longer opens the store, the new one does.
        let newKey = String(repeating: "5a", count: 32)
        #expect(try await step(["rotate-master"], ["MM_NEW_MASTER_KEY": newKey]).status == 0)
        let stale = try await step(["list"])
        #expect(stale.status == 2 && stale.output.contains("wrong master key"))
        let rotated = try await step(["test", "--name", "usdm", "--rest-url", url], ["MM_MASTER_KEY": newKey])
        #expect(rotated.status == 0, "\(rotated.output)")
        #expect(try await step(["remove", "--name", "wrong"], ["MM_MASTER_KEY": newKey]).status == 0)
        let unknown = try await step(["add", "--name", "x", "--venue", "nope"], ["MM_MASTER_KEY": newKey])
        #expect(unknown.status == 2 && unknown.output.contains("unknown venue 'nope'"))
        for text in outputs {
            #expect(!text.contains(account.secret) && !text.contains(account.apiKey), "\(text)")
        }
        // A MEXC account: tested and its balances shown against the simulated MEXC venue.
        let mexcAccount = SimServer.Credentials.random()
        let mexc = try await SpotSimServer.start(.init(dialect: .mexc, accounts: [mexcAccount]))
        let mexcURL = "http://127.0.0.1:\(mexc.port)"
        #expect(try await step(["add", "--name", "qrl", "--venue", "mexc"], ["MM_MASTER_KEY": newKey], input: mexcAccount.apiKey + "\n" + mexcAccount.secret + "\n").status == 0)
        let mexcTest = try await step(["test", "--name", "qrl", "--rest-url", mexcURL], ["MM_MASTER_KEY": newKey])
        #expect(mexcTest.status == 0 && mexcTest.output.contains(#""ok":true"#), "\(mexcTest.output)")
        let balance = try await onThread { try self.mm(["balance", "--account", "qrl", "--rest-url", mexcURL], environment: env.merging(["MM_MASTER_KEY": newKey]) { $1 }) }
        outputs.append(balance.output)
        #expect(balance.status == 0 && balance.output.contains(#""asset":"QRL","free":"200000","locked":"0","total":"200000""#), "\(balance.output)")
        // Markets: the first sync adds QRLUSDT; a second with nothing changed reports nothing.
        let markets = ["markets", "sync", "--account", "qrl", "--rest-url", mexcURL]
        let first = try await onThread { try self.mm(markets, environment: env.merging(["MM_MASTER_KEY": newKey]) { $1 }) }
        #expect(first.status == 0 && first.output.contains(#""event":"market.added","venue":"mexc","symbol":"QRLUSDT","unified":"QRL/USDT""#), "\(first.output)")
        #expect(first.output.contains(#""min_notional":"5""#))
        let second = try await onThread { try self.mm(markets, environment: env.merging(["MM_MASTER_KEY": newKey]) { $1 }) }
        let lines = second.output.split(separator: "\n")
        #expect(second.status == 0 && lines.count == 1 && lines[0].contains(#""added":0,"updated":0,"delisted":0,"skipped":0"#), "\(second.output)")
        let shown = try await onThread { try self.mm(["markets", "show", "--venue", "mexc"], environment: env.merging(["MM_MASTER_KEY": newKey]) { $1 }) }
        #expect(shown.output.contains(#""symbol":"QRLUSDT""#) && shown.output.contains(#""tick_size":"0.00001""#), "\(shown.output)")
        outputs += [first.output, second.output, shown.output]
        // Orders by client ID: placing the same ID twice finds the first; get, list, cancel.
        func order(_ args: [String]) async throws -> (status: Int32, output: String) {
            let r = try await onThread {
                try self.mm(["order"] + args + ["--account", "qrl", "--symbol", "QRLUSDT", "--rest-url", mexcURL], environment: env.merging(["MM_MASTER_KEY": newKey]) { $1 })
            }
            outputs.append(r.output)
            return r
        }
        let place = ["place", "--side", "buy", "--price", "0.04", "--quantity", "500", "--client-id", "op-1"]
        let placed = try await order(place)
        #expect(placed.status == 0 && placed.output.contains(#""event":"order.placed""#), "\(placed.output)")
        let again = try await order(place)
        #expect(again.status == 0 && again.output.contains(#""event":"order.exists""#) && again.output.contains(#""status":"NEW""#), "\(again.output)")
        let open = try await order(["list"])
        #expect(open.output.split(separator: "\n").count == 1 && open.output.contains(#""client_id":"op-1""#), "\(open.output)")
        #expect(try await order(["get", "--client-id", "op-1"]).output.contains(#""normalized":"NEW""#))
        #expect(try await order(["cancel", "--client-id", "op-1"]).status == 0)
        #expect(try await order(["get", "--client-id", "op-1"]).output.contains(#""status":"CANCELED""#))
        let small = try await order(["place", "--side", "buy", "--price", "0.04", "--quantity", "10", "--client-id", "op-2"])
        #expect(small.status == 1 && small.output.contains(#""kind":"belowMinNotional""#), "\(small.output)")
        try await mexc.shutdown()
        for text in outputs { #expect(!text.contains(mexcAccount.secret) && !text.contains(mexcAccount.apiKey)) }
        let database = try Data(contentsOf: URL(fileURLWithPath: dir + "/accounts.sqlite"))
        #expect(database.range(of: Data(account.secret.utf8)) == nil && database.range(of: Data(account.apiKey.utf8)) == nil, "ciphertext only")
        try await sim.shutdown()
    }

    /// Binance USDⓈ-M through the same tools: markets (perpetuals, unified `BASE/QUOTE:SETTLE`), balance and
    /// orders by client ID; and a spot venue whose tick size changed between two syncs reports it as an update.
    @Test func usdmMarketsBalanceAndOrdersAndATickSizeChange() async throws {
        let account = SimServer.Credentials.random()
        let sim = try await SimServer.start(.init(recordings: [EngineTests.recording], accounts: [account]))
        let dir = Fixtures.temporaryPath("accounts-usdm-\(UInt64.random(in: 0 ... .max))")
        let env = ["MM_MASTER_KEY": String(repeating: "3c", count: 32), "MM_ACCOUNT_STORE": dir + "/accounts.sqlite"]
        let url = "http://127.0.0.1:\(sim.port)"
        var outputs: [String] = []
        func run(_ args: [String], input: String = "") async throws -> (status: Int32, output: String) {
            let r = try await onThread { try self.mm(args, environment: env, input: input) }
            outputs.append(r.output)
            return r
        }
        #expect(try await run(["accounts", "add", "--name", "futures", "--venue", "binance-usdm"], input: account.apiKey + "\n" + account.secret + "\n").status == 0)
        let first = try await run(["markets", "sync", "--account", "futures", "--rest-url", url])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains(#""event":"market.added","venue":"binance-usdm","symbol":"BTCUSDT","unified":"BTC/USDT:USDT""#), "\(first.output)")
        #expect(first.output.contains(#""tick_size":"0.1""#) || first.output.contains(#""tick_size":"0.01""#))
        let second = try await run(["markets", "sync", "--account", "futures", "--rest-url", url, "--type", "swap"])
        #expect(second.status == 0 && second.output.split(separator: "\n").count == 1 && second.output.contains(#""added":0,"updated":0,"delisted":0"#), "\(second.output)")
        let wrongType = try await run(["markets", "sync", "--account", "futures", "--rest-url", url, "--type", "spot"])
        #expect(wrongType.status == 2 && wrongType.output.contains("lists swap markets"), "\(wrongType.output)")
        let shown = try await run(["markets", "show", "--venue", "binance-usdm"])
        #expect(shown.output.contains(#""type":"swap""#))
        let balance = try await run(["balance", "--account", "futures", "--rest-url", url])
        #expect(balance.status == 0 && balance.output.contains(#""asset":"USDT""#), "\(balance.output)")
        func order(_ args: [String]) async throws -> (status: Int32, output: String) {
            try await run(["order"] + args + ["--account", "futures", "--symbol", "BTCUSDT", "--rest-url", url])
        }
        let placed = try await order(["place", "--side", "buy", "--price", "60000", "--quantity", "0.002", "--client-id", "usdm-op-1"])
        #expect(placed.status == 0 && placed.output.contains(#""event":"order.placed""#), "\(placed.output)")
        let again = try await order(["place", "--side", "buy", "--price", "60000", "--quantity", "0.002", "--client-id", "usdm-op-1"])
        #expect(again.output.contains(#""event":"order.exists""#), "\(again.output)")
        #expect(try await order(["list"]).output.contains(#""client_id":"usdm-op-1""#))
        #expect(try await order(["cancel", "--client-id", "usdm-op-1"]).status == 0)
        #expect(try await order(["get", "--client-id", "usdm-op-1"]).output.contains(#""status":"CANCELED""#))
        try await sim.shutdown()

        // MEXC lists QRLUSDT with a 0.00001 tick, then (a new listing of the venue) with 0.0001.
        let spotAccount = SimServer.Credentials.random()
        #expect(try await run(["accounts", "add", "--name", "qrl", "--venue", "mexc"], input: spotAccount.apiKey + "\n" + spotAccount.secret + "\n").status == 0)
        let before = try await SpotSimServer.start(.init(dialect: .mexc, accounts: [spotAccount]))
        #expect(try await run(["markets", "sync", "--account", "qrl", "--rest-url", before.restURL]).output.contains(#""event":"market.added""#))
        try await before.shutdown()
        var changed = SpotSimServer.Configuration(dialect: .mexc, accounts: [spotAccount])
        try SpotScenario.parse(yaml: "tickSize: \"0.0001\"\n").apply(to: &changed)
        let after = try await SpotSimServer.start(changed)
        let update = try await run(["markets", "sync", "--account", "qrl", "--rest-url", after.restURL])
        #expect(update.output.contains(#""event":"market.updated","venue":"mexc","symbol":"QRLUSDT""#) && update.output.contains("tickSize: 0.00001 → 0.0001"), "\(update.output)")
        #expect(update.output.contains(#""updated":1"#))
        try await after.shutdown()
        for text in outputs { #expect(!text.contains(account.secret) && !text.contains(spotAccount.secret) && !text.contains(spotAccount.apiKey)) }
    }
}
