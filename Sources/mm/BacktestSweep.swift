import ArgumentParser
import Foundation
import MMBacktest
import MMCore
import MMEngine
import MMReplay
import MMSimCore

/// One grid point's results over the sessions.
struct SweepRow: Sendable {
    var point: [(key: String, value: String)]
    var fees: String
    var session: String
    var pnl: Double
    var fills: Int
    var makerShare: Double
    var maxInventory: Double
    var maxDrawdown: Double

    var json: String {
        let params = point.map { #""\#($0.key)":\#(JSONString.quoted($0.value))"# }.joined(separator: ",")
        return #"{"params":{\#(params)},"fees":"\#(fees)","session":"\#(session)","pnl_net":\#(pnl),"fills":\#(fills),"maker_share":\#(makerShare),"max_inventory":\#(maxInventory),"max_drawdown":\#(maxDrawdown)}"#
    }

    /// Reads a row written by `json` (for `--merge`).
    init?(json line: String) {
        guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let params = o["params"] as? [String: String],
            let fees = o["fees"] as? String, let session = o["session"] as? String, let pnl = o["pnl_net"] as? Double
        else { return nil }
        point = params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        self.fees = fees
        self.session = session
        self.pnl = pnl
        fills = o["fills"] as? Int ?? 0
        makerShare = o["maker_share"] as? Double ?? 0
        maxInventory = o["max_inventory"] as? Double ?? 0
        maxDrawdown = o["max_drawdown"] as? Double ?? 0
    }

    init(point: [(key: String, value: String)], fees: String, session: String, pnl: Double, fills: Int, makerShare: Double, maxInventory: Double, maxDrawdown: Double) {
        self.point = point
        self.fees = fees
        self.session = session
        self.pnl = pnl
        self.fills = fills
        self.makerShare = makerShare
        self.maxInventory = maxInventory
        self.maxDrawdown = maxDrawdown
    }

    var pointLabel: String { point.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// The named fee schedules: Binance's retail VIP 0 and its market-maker programme.
enum FeeSchedule: String, CaseIterable {
    case retail
    case mm

    var bps: (maker: Double, taker: Double) { self == .retail ? (2, 5) : (-0.5, 7) }
}

extension Backtest {
    /// `key=v1,v2,…` specs → the grid, in order (the last key varies fastest).
    static func grid(_ specs: [String]) throws -> [[(key: String, value: String)]] {
        var grid: [[(key: String, value: String)]] = [[]]
        for spec in specs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--sweep \(spec): expected key=v1,v2,…") }
            let values = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !values.isEmpty else { throw ValidationError("--sweep \(spec): no values") }
            grid = grid.flatMap { point in values.map { point + [(parts[0], $0)] } }
        }
        return grid
    }

    /// The configuration at a grid point: the base file with each key overridden as `MM_<KEY>` would.
    static func config(_ yaml: String, path: String, point: [(key: String, value: String)]) throws -> EngineConfig {
        var env: [String: String] = [:]
        for (k, v) in point { env["MM_" + k.replacingOccurrences(of: ".", with: "_").uppercased()] = v }
        do { return try EngineConfig.parse(yaml: yaml, path: path, environment: env) } catch {
            throw ValidationError("--sweep: \(error)")
        }
    }

    /// Runs the grid (this shard of it) over the recorded sessions on every core; writes the rows as JSONL
    /// and CSV, prints the table, draws the heatmap, and with `walkForward` picks on some sessions and
    /// reports on the others.
    func runSweep(_ yaml: String, path: String) throws {
        var grid = try Self.grid(sweep)
        if let shard {
            let parts = shard.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] > 0, (0..<parts[1]).contains(parts[0]) else { throw ValidationError("--shard \(shard): expected i/N with 0 ≤ i < N") }
            grid = grid.enumerated().filter { $0.offset % parts[1] == parts[0] }.map(\.element)
        }
        let configs = try grid.map { try Self.config(yaml, path: path, point: $0) }
        let schedules = feeSchedule == "both" ? FeeSchedule.allCases : [FeeSchedule(rawValue: feeSchedule)].compactMap { $0 }
        guard !schedules.isEmpty else { throw ValidationError("--fee-schedule \(feeSchedule): retail, mm or both") }
        var loaded: [(name: String, script: MarketScript)] = []
        for files in Self.recordedSessions {
            let paths = files.map { "\(sessions)/hftbacktest_usdm_\($0)" }
            for s in try MarketScript.load(paths: paths) { loaded.append((Self.sessionName(paths), s)) }
        }
        let scripts = loaded
        let points = grid
        let jobs = configs.indices.flatMap { p in schedules.flatMap { f in scripts.indices.map { (p, f, $0) } } }
        let rows = LockedRows(count: jobs.count)
        let bar = ProgressBar(label: "sweep \(points.count) points × \(scripts.count) sessions × \(schedules.count) fee schedules")
        DispatchQueue.concurrentPerform(iterations: jobs.count) { j in
            let (p, f, s) = jobs[j]
            let (maker, taker) = f.bps
            let r = Self.simulate(scripts[s].script, configs[p], feedLatencyMs: feedLatencyMs, orderLatencyMs: orderLatencyMs, makerBps: maker, takerBps: taker)
            let row = SweepRow(
                point: points[p], fees: f.rawValue, session: scripts[s].name, pnl: Double(r.pnl.raw) / 1e8, fills: r.fills.count, makerShare: r.makerShare,
                maxInventory: Double(r.maxAbsPosition.raw) / 1e8, maxDrawdown: Double(r.maxDrawdown.raw) / 1e8)
            let done = rows.set(j, row)
            bar.update(Double(done) / Double(jobs.count))
        }
        bar.finish()
        let all = rows.all
        let suffix = shard.map { "-shard" + $0.replacingOccurrences(of: "/", with: "of") } ?? ""
        try (all.map(\.json).joined(separator: "\n") + "\n").write(toFile: "\(out)/sweep\(suffix).jsonl", atomically: true, encoding: .utf8)
        try report(all)
    }

    /// The table, CSV, heatmap and walk-forward of sweep rows (a sweep's own, or merged from shards).
    func report(_ all: [SweepRow]) throws {
        let keys = all.first?.point.map(\.key) ?? []
        let csvHeader = (keys + ["fees", "session", "pnl_net", "fills", "maker_share", "max_inventory", "max_drawdown"]).joined(separator: ",")
        let csv = all.map { r in (r.point.map(\.value) + [r.fees, r.session, "\(r.pnl)", "\(r.fills)", "\(r.makerShare)", "\(r.maxInventory)", "\(r.maxDrawdown)"]).joined(separator: ",") }
        try ([csvHeader] + csv).joined(separator: "\n").appending("\n").write(toFile: "\(out)/sweep.csv", atomically: true, encoding: .utf8)
        let sessionsSeen = Array(Set(all.map(\.session))).sorted()
        var pointOrder: [String] = []
        for r in all where !pointOrder.contains(r.pointLabel) { pointOrder.append(r.pointLabel) }
        for fees in Array(Set(all.map(\.fees))).sorted() {
            print("fee schedule \(fees): net PnL per session (quote units)")
            let header = ["params"] + sessionsSeen + ["total", "positive"]
            var rows: [[String]] = []
            for label in pointOrder {
                let mine = all.filter { $0.pointLabel == label && $0.fees == fees }
                let bySession = sessionsSeen.map { s in mine.first { $0.session == s }.map { String(format: "%.4f", $0.pnl) } ?? "-" }
                let total = mine.reduce(0) { $0 + $1.pnl }
                rows.append([label] + bySession + [String(format: "%.4f", total), "\(mine.filter { $0.pnl > 0 }.count)/\(mine.count)"])
            }
            printTable(header, rows)
            if keys.count >= 1 {
                let svg = Self.heatmap(all.filter { $0.fees == fees }, keys: keys, title: "net PnL over \(sessionsSeen.count) sessions, \(fees) fees")
                try svg.write(toFile: "\(out)/sweep-heatmap-\(fees).svg", atomically: true, encoding: .utf8)
            }
            if walkForward { try self.walkForward(all.filter { $0.fees == fees }, fees: fees, sessions: sessionsSeen) }
        }
        printError("mm backtest: sweep.csv, sweep*.jsonl and sweep-heatmap-*.svg in \(out)")
    }

    /// Picks the point with the best total on the earlier sessions, and reports it on the later ones.
    func walkForward(_ rows: [SweepRow], fees: String, sessions: [String]) throws {
        // Sessions sort by date within a symbol's name; the two latest recordings (2024-08-08) are held back.
        let test = sessions.filter { $0.contains("20240808") }
        let train = sessions.filter { !test.contains($0) }
        guard !train.isEmpty, !test.isEmpty else { return }
        var labels: [String] = []
        for r in rows where !labels.contains(r.pointLabel) { labels.append(r.pointLabel) }
        func total(_ label: String, _ set: [String]) -> Double { rows.filter { $0.pointLabel == label && set.contains($0.session) }.reduce(0) { $0 + $1.pnl } }
        guard let best = labels.max(by: { total($0, train) < total($1, train) }) else { return }
        let held = total(best, test)
        print("walk-forward (\(fees) fees): picked on \(train.joined(separator: ", ")); reported on \(test.joined(separator: ", "))")
        print("  chosen: \(best); in sample \(String(format: "%.4f", total(best, train))); out of sample \(String(format: "%.4f", held)) (\(held > 0 ? "positive" : "not positive"))")
    }

    /// Total net PnL over the sessions, one cell per point: the first two swept keys as the axes (a single key:
    /// one row), red for losses and green for gains.
    static func heatmap(_ rows: [SweepRow], keys: [String], title: String) -> String {
        func values(_ k: String) -> [String] {
            var out: [String] = []
            for r in rows { if let v = r.point.first(where: { $0.key == k })?.value, !out.contains(v) { out.append(v) } }
            return out
        }
        let xKey = keys[0]
        let yKey = keys.count > 1 ? keys[1] : nil
        let xs = values(xKey)
        let ys = yKey.map(values) ?? [""]
        var totals: [String: Double] = [:]
        for r in rows {
            let x = r.point.first { $0.key == xKey }!.value
            let y = yKey.flatMap { k in r.point.first { $0.key == k }?.value } ?? ""
            totals[x + "\u{0}" + y, default: 0] += r.pnl
        }
        let extreme = max(totals.values.map(abs).max() ?? 1, 1e-9)
        let cw = 90, ch = 36, left = 130, top = 60
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(left + cw * xs.count + 20)" height="\#(top + ch * ys.count + 40)" font-family="sans-serif" font-size="12">"#
        svg += #"<text x="10" y="20" font-size="14">\#(title)</text><text x="\#(left)" y="45">\#(xKey) →</text>"#
        if let yKey { svg += #"<text x="10" y="45">\#(yKey) ↓</text>"# }
        for (i, x) in xs.enumerated() { svg += #"<text x="\#(left + i * cw + 4)" y="\#(top - 4)">\#(x)</text>"# }
        for (j, y) in ys.enumerated() {
            svg += #"<text x="10" y="\#(top + j * ch + 22)">\#(y)</text>"#
            for (i, x) in xs.enumerated() {
                guard let v = totals[x + "\u{0}" + y] else { continue }
                let a = min(1, abs(v) / extreme)
                let color = v >= 0 ? "rgba(0,150,0,\(0.15 + 0.85 * a))" : "rgba(200,0,0,\(0.15 + 0.85 * a))"
                svg += #"<rect x="\#(left + i * cw)" y="\#(top + j * ch)" width="\#(cw - 2)" height="\#(ch - 2)" fill="\#(color)"/>"#
                svg += #"<text x="\#(left + i * cw + 6)" y="\#(top + j * ch + 22)">\#(String(format: "%.3f", v))</text>"#
            }
        }
        return svg + "</svg>\n"
    }

    func printTable(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - c.count) + c }
                .joined(separator: "  ")
        }
        print(line(header))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for r in rows { print(line(r)) }
    }
}

/// Results filled in by concurrent jobs.
final class LockedRows: @unchecked Sendable {
    private var rows: [SweepRow?]
    private var done = 0
    private let lock = NSLock()
    init(count: Int) { rows = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ row: SweepRow) -> Int {
        lock.lock()
        defer { lock.unlock() }
        rows[i] = row
        done += 1
        return done
    }
    var all: [SweepRow] {
        lock.lock()
        defer { lock.unlock() }
        return rows.compactMap { $0 }
    }
}
