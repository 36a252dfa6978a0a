import Foundation
import FoundationNetworking
import MMVenueClients
import MMBinance
import MMAccounts
import MMCore
import MMEngine
import MMRebalance
import MMSim
import MMVenue
import TestSupport
import Testing

/// `mm rebalance` end to end: the binary, the embedded simulated MEXC venue or one started here, a store on
/// disk, and the JSON it prints.
@Suite("mm rebalance", .serialized)
struct RebalanceCommandTests {
    func mm(_ arguments: [String], environment: [String: String] = [:], input: String = "") async throws -> (status: Int32, output: String, stdout: String) {
        try await onThread {
            let r = try Tools.runMM(arguments, environment: environment, input: input, directory: Fixtures.packageRoot)
            return (r.status, r.stdout + r.stderr, r.stdout)
        }
    }

    /// The last line that parses as a JSON object with a `status`: the result.
    func result(_ stdout: String) -> [String: Any]? {
        for line in stdout.split(separator: "\n").reversed() {
            if let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["status"] != nil { return o }
        }
        return nil
    }

    func temporary(_ name: String) -> String {
        let dir = Fixtures.temporaryPath("rebalance-\(name)-\(UInt64.random(in: 0 ... .max))")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func onceOnTheEmbeddedSimulatorPrintsTheTrailAndAResultAndStoresIt() async throws {
        let dir = temporary("once")
        let store = dir + "/records.sqlite"
        let run = try await mm(["rebalance", "--once", "--store", store], environment: ["MM_REBALANCE_TRACKING_MAXSECONDS": "40"])
        #expect(run.status == 0, "\(run.output)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let trail = try #require(lines.first { $0.hasPrefix("START → ") }, "\(run.output)")
        #expect(trail.hasPrefix("START → ANALYZING → PLANNING → VALIDATING → PREPARING → EXECUTING → TRACKING → "))
        #expect(trail.hasSuffix(" → LOGGING → COMPLETE"))
        let r = try #require(result(run.stdout))
        #expect(r["action"] as? String == "BUY")
        let status = try #require(r["status"] as? String)
        #expect(["FILLED", "PARTIALLY_FILLED_TIMEOUT", "TIMEOUT"].contains(status), "\(status)")
        #expect(lines.contains { $0.contains(#""event":"rebalance_start""#) } && lines.contains { $0.contains(#""event":"order_submitted""#) })
        let order = try #require(r["order"] as? [String: Any])
        let mid = try Price(parsing: r["mid"] as? String ?? "")
        let limit = try Price(parsing: order["price"] as? String ?? "")
        let offset = Price(raw: mid.raw / 500)  // 0.2 %
        #expect(limit <= mid - offset && limit > mid - offset - Price("0.00001")!, "0.2 % under the mid, down to the tick: \(limit) at mid \(mid)")
        #expect(order["client_order_id"] as? String == "rb1")
        // What the run left in the store.
        let storage = try SQLiteAccountStorage(path: store)
        let runs = try storage.runs()
        #expect(runs.count == 1 && runs[0].status == status)
        let orders = try storage.orders(venue: .mexc, symbol: "QRLUSDT")
        #expect(orders.count == 1 && orders[0].clientOrderID == "rb1" && orders[0].venueOrderID != nil)
        let executed = try Quantity(parsing: r["executed"] as? String ?? "0")
        if executed.raw > 0 {
            #expect(lines.contains { $0.contains(#""event":"order_filled""#) } && lines.contains { $0.contains(#""event":"position_updated""#) })
            let position = try #require(try storage.position(venue: .mexc, symbol: "QRLUSDT"))
            #expect(position.base == Quantity(units: 7_900) + executed)
            #expect(position.averageCost < Price("0.052")!, "buying under the cost lowers it")
            let trades = try storage.trades(venue: .mexc, symbol: "QRLUSDT")
            #expect(trades.reduce(Quantity.zero) { $0 + $1.quantity } == executed, "the venue's trades of the order add up to what executed")
            #expect(try storage.balances(account: "sim")["QRL"]?.free == Notional(raw: (Quantity(units: 7_900) + executed).raw))
        }
    }

    @Test func case4FourUSDTHoldsAndNothingIsSent() async throws {
        let dir = temporary("case4")
        try """
            price: "0.05"
            balances:
              QRL: "100"
              USDT: "13"
            klines:
              interval: 60m
              closes: "0.04908*12 0.04909*6 0.0495*7"
            """.write(toFile: dir + "/scenario.yaml", atomically: true, encoding: .utf8)
        try """
            position:
              averageCost: "0.052"
            sim:
              scenario: \(dir)/scenario.yaml
            """.write(toFile: dir + "/rebalance.yaml", atomically: true, encoding: .utf8)
        let run = try await mm(["rebalance", "--once", "--config", dir + "/rebalance.yaml", "--store", dir + "/records.sqlite"])
        #expect(run.status == 0, "\(run.output)")
        let r = try #require(result(run.stdout), "\(run.output)")
        #expect(r["status"] as? String == "HOLD")
        #expect((r["reason"] as? String ?? "").contains("below the venue's minimum 5"), "\(r)")
        #expect(!run.stdout.contains("order_submitted"))
        #expect(try SQLiteAccountStorage(path: dir + "/records.sqlite").orders(venue: .mexc, symbol: "QRLUSDT").isEmpty)
    }

    @Test func everyConfigurationProblemIsReportedWithItsKeyAndLine() async throws {
        let dir = temporary("config")
        try """
            venue: sim
            rules:
              targetRatio: 150%
              shortAverage: 30
              longAverage: 25
            klines:
              interval: 2h
            apiSecret: nope
            """.write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let run = try await mm(["rebalance", "--once", "--config", dir + "/bad.yaml"], environment: ["MM_REBALANCE_RULES_THRESHOLDS": "0.1"])
        #expect(run.status == 2)
        for expected in ["line 3: rules.targetRatio", "line 4: rules.shortAverage", "line 7: klines.interval", "line 8: apiSecret", "MM_REBALANCE_RULES_THRESHOLDS"] {
            #expect(run.output.contains(expected), "\(expected) in \(run.output)")
        }
        #expect(!run.output.contains("nope"), "a secret-looking value is never echoed")
    }

    @Test func aLiveVenueWithOrdersNeedsTheLiveFlag() async throws {
        let dir = temporary("live")
        try "venue: live\ndryRun: false\naccount: qrl\n".write(toFile: dir + "/live.yaml", atomically: true, encoding: .utf8)
        let run = try await mm(["rebalance", "--once", "--config", dir + "/live.yaml"])
        #expect(run.status == 2 && run.output.contains("add --live"), "\(run.output)")
    }

    /// A stored MEXC account against a simulated venue started here: a dry run plans the order and sends
    /// nothing, and no output holds the key or the secret.
    @Test func aDryRunOnAStoredAccountSendsNothingAndShowsNoSecret() async throws {
        let account = SimServer.Credentials.random()
        var sim = SpotSimServer.Configuration(dialect: .mexc, accounts: [account])
        try SpotScenario.load(path: Fixtures.packageRoot + "/configs/scenarios/mexc-qrl-golden-cross.yaml").apply(to: &sim)
        let venue = try await SpotSimServer.start(sim)
        let dir = temporary("dry")
        let env = ["MM_MASTER_KEY_FILE": dir + "/master.key", "MM_ACCOUNT_STORE": dir + "/accounts.sqlite"]
        #expect(try await mm(["accounts", "new-master-key", "--out", dir + "/master.key"], environment: env).status == 0)
        let added = try await mm(["accounts", "add", "--name", "qrl", "--venue", "mexc"], environment: env, input: account.apiKey + "\n" + account.secret + "\n")
        #expect(added.status == 0, "\(added.output)")
        try """
            venue: live
            account: qrl
            restUrl: \(venue.restURL)
            position:
              averageCost: "0.052"
            """.write(toFile: dir + "/live.yaml", atomically: true, encoding: .utf8)
        let run = try await mm(["rebalance", "--once", "--config", dir + "/live.yaml"], environment: env)
        #expect(run.status == 0, "\(run.output)")
        let r = try #require(result(run.stdout), "\(run.output)")
        #expect(r["status"] as? String == "HOLD" && (r["reason"] as? String ?? "").hasPrefix("dry run: BUY"), "\(r)")
        #expect(!run.stdout.contains("order_submitted"))
        let balances = try await venue.balances(apiKey: account.apiKey)
        #expect(balances["USDT"]?.locked == .zero && balances["USDT"]?.free == Notional(units: 600), "nothing was placed")
        #expect(!run.output.contains(account.apiKey) && !run.output.contains(account.secret))
        try await venue.shutdown()
    }

    @Test func onASchedulePositionAndCostCarryFromRunToRun() async throws {
        let dir = temporary("schedule")
        let run = try await mm(
            ["rebalance", "--runs", "2", "--store", dir + "/records.sqlite"],
            environment: ["MM_REBALANCE_SCHEDULE_INTERVALSECONDS": "1", "MM_REBALANCE_METRICS_PORT": "0", "MM_REBALANCE_TRACKING_MAXSECONDS": "40"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("/metrics"))
        let results = run.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { $0["status"] != nil ? $0 : nil }
        }
        #expect(results.count == 2)
        guard results.count == 2 else { return }
        #expect(results[0]["run"] as? Int == 1 && results[1]["run"] as? Int == 2)
        let firstAfter = results[0]["after"] as? [String: Any]
        let secondBefore = results[1]["before"] as? [String: Any]
        #expect(firstAfter?["average_cost"] as? String == secondBefore?["average_cost"] as? String, "the second run starts from the stored cost")
        if results[0]["status"] as? String == "FILLED" {
            #expect(results[1]["status"] as? String == "HOLD", "back at the target after the fill: \(results[1])")
        }
    }

    @Test func theMetricsCarryTheRunsOutcome() throws {
        let metrics = RebalanceMetrics()
        let position = RebalancePosition(base: Quantity(units: 10_000), quote: Notional(units: 500), averageCost: Price("0.05158")!)
        let order = RebalanceOrder(side: .buy, price: Price("0.0499")!, quantity: Quantity(units: 2_000), clientOrderID: "rb1")
        metrics.record(
            RebalanceResult(
                runID: 1, status: .filled, action: "BUY", reason: "filled", order: order, orderRef: nil, executed: Quantity(units: 1_000), fillPrice: nil,
                before: nil, after: position, mid: Price("0.05")!, trail: [], startMillis: 0, endMillis: 7_000, errors: []),
            baseAsset: "QRL", quoteAsset: "USDT")
        metrics.apiError(code: 429, endpoint: "order.place")
        let text = metrics.exposition()
        for line in [
            #"rebalance_execution_total{status="FILLED",action="BUY"} 1"#, "rebalance_execution_duration_seconds_count 1", "order_fill_rate 0.5",
            #"position_value_usdt{asset="QRL"} 500"#, #"position_value_usdt{asset="USDT"} 500"#, "average_cost_usdt 0.05158",
            #"api_errors_total{error_code="429",endpoint="order.place"} 1"#,
        ] {
            #expect(text.contains(line), "\(line) in\n\(text)")
        }
        // Every metric the shipped dashboard uses is exported.
        let dashboard = try String(contentsOfFile: Fixtures.packageRoot + "/deployments/grafana/rebalancer-dashboard.json", encoding: .utf8)
        let names = Set(dashboard.matches(of: /(rebalance_[a-z_]+|order_fill_rate|position_value_usdt|average_cost_usdt|api_errors_total)/).map { String($0.output.0) })
        #expect(names.count >= 6)
        for name in names { #expect(text.contains("\n" + name + " ") || text.contains("\n" + name + "{"), "the dashboard uses \(name), which is not exported") }
        let file = Fixtures.temporaryPath("rebalance-metrics") + ".txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try run(["sh", "-c", "promtool check metrics < \(file)"])
        #expect(check.status == 0, "promtool: \(check.output)")
    }

    /// The venue refuses for rate (an injected fault): the run waits `Retry-After`, tries again, and goes on;
    /// the refusal is an event and a metric.
    @Test func aRateLimitedVenueIsWaitedOutByTheSharedPolicy() async throws {
        let account = SimServer.Credentials.random()
        var sim = SpotSimServer.Configuration(dialect: .mexc, accounts: [account])
        try SpotScenario.load(path: Fixtures.packageRoot + "/configs/scenarios/mexc-qrl-golden-cross.yaml").apply(to: &sim)
        let venue = try await SpotSimServer.start(sim)
        var config = RebalanceConfig()
        config.initialAverageCost = Price("0.052")!
        config.maxTrackSeconds = 20
        let client = try SpotRESTClient(venue: .mexc, endpoint: Endpoint(url: venue.restURL)!, apiKey: account.apiKey, secret: account.secret)
        let dir = temporary("limited")
        let lines = Locked<[String]>([])
        let waits = Locked<[Int64]>([])
        let service = RebalanceService(
            config: config, client: client, account: "qrl", storage: try SQLiteAccountStorage(path: dir + "/records.sqlite"),
            output: { line in lines.withLock { $0.append(line) } },
            sleep: { ms in
                waits.withLock { $0.append(ms) }
                try? await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
            })
        #expect(try httpPost(venue.restURL + "/sim/fault?kind=rate_limit&duration=1") == 200)
        let result = try await service.runOnce()
        try await venue.shutdown()
        #expect(result.status != .failed, "\(result.json)")
        let first = try #require(waits.withLock { $0 }.first)
        #expect(first >= 1000 && first <= 2000, "Retry-After (1 s) or the 1 s backoff, whichever is longer: \(first)")
        #expect(lines.withLock { $0 }.contains { $0.contains(#""event":"rebalance_error""#) && $0.contains(#""code":429"#) })
        #expect(service.metrics.exposition().contains(#"api_errors_total{error_code="429",endpoint="exchangeInfo"} 1"#))
    }

    @Test func oneSimProcessHostsSeveralVenuesOnTheirOwnPorts() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Tools.mm())
        process.arguments = ["sim", "--venue", "mexc", "--venue", "binance-spot", "--port", "0", "--scenario", "mexc=configs/scenarios/mexc-qrl-golden-cross.yaml"]
        process.currentDirectoryURL = URL(fileURLWithPath: Fixtures.packageRoot)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // Read the banners until both venues have printed their REST URL.
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && text.components(separatedBy: "/sim/faults").count < 3 {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let urls = text.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("REST"), let r = line.range(of: "http://") else { return nil }
            return String(line[r.lowerBound...].split(separator: "/api")[0])
        }
        #expect(urls.count == 2 && Set(urls).count == 2, "\(text)")
        #expect(text.contains("simulated MEXC spot venue: QRLUSDT") && text.contains("simulated Binance spot venue: BTCUSDT"))
        #expect(text.contains("scenario configs/scenarios/mexc-qrl-golden-cross.yaml"))
        #expect(text.components(separatedBy: "demo account").count == 3, "each venue's demo account")
        for (url, symbol) in zip(urls, ["QRLUSDT", "BTCUSDT"]) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: url + "/api/v3/exchangeInfo")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: data, as: UTF8.self).contains(#""symbol":"\#(symbol)""#))
        }
        process.terminate()
        process.waitUntilExit()
    }
}

/// A value behind a lock, for closures that outlive a test's stack.
final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// POSTs to `url`; the status.
func httpPost(_ url: String) throws -> Int {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = "POST"
    let done = DispatchSemaphore(value: 0)
    let status = Locked(0)
    URLSession.shared.dataTask(with: request) { _, response, _ in
        status.withLock { $0 = (response as? HTTPURLResponse)?.statusCode ?? 0 }
        done.signal()
    }.resume()
    done.wait()
    return status.withLock { $0 }
}
