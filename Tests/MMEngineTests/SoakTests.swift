import Foundation
import MMBinanceWire
import TestSupport
import Testing

/// The short soak (`scripts/soak.sh --short`): one simulated hour under every fault, judged from the venue's
/// side, with the secrets check over everything the run wrote and served.
@Suite("Soak", .serialized)
struct SoakTests {
    @Test("one simulated hour under random faults: no invariant broken, every fault fired and recovered")
    func shortSoak() async throws {
        let dir = Fixtures.temporaryPath("soak")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Tools.mm())
        p.arguments = ["soak", "--short", "--seed", "3", "--out", dir]
        p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = drain(out)
        let stderr = drain(err)
        let lines = await stdout.value.split(separator: "\n")
        await onThread { p.waitUntilExit() }
        let log = await stderr.value
        let last = try #require(lines.last.map(String.init), "no report: \(log.suffix(2000))")
        let report = try JSONValue.parse(Array(last.utf8))
        // A failed run keeps its logs and report for a look afterwards (the directory is named in the message).
        let passed = report["passed"] == .bool(true)
        #expect(report["violations"]?.int64 == 0, "\(report["violations_by_rule"].map { "\($0)" } ?? "") \(report["violation_examples"].map { "\($0)" } ?? ""); logs in \(dir)")
        #expect(report["faults_missing"]?.arrayValue?.isEmpty == true, "\(last)")
        for kind in ["ws_close", "gap", "stall", "http_5xx", "rate_limit", "clock_skew", "listen_key_expire", "delay", "drop", "ws_api_down",
            "garbage", "sigkill_restart", "operator_halt"]
        {
            #expect((report["fault_counts"]?[kind]?.int64 ?? 0) > 0, "\(kind) never fired")
        }
        #expect(report["unrecovered"]?.arrayValue?.isEmpty == true, "\(report["unrecovered"].map { "\($0)" } ?? "")")
        // Malformed frames and events were counted, and the engine carried on.
        #expect((report["engine_malformed_market_frames"]?.int64 ?? 0) > 0 && (report["engine_malformed_user_events"]?.int64 ?? 0) > 0, "\(last)")
        #expect(report["secret_leaks"]?.int64 == 0 && report["clean_shutdown"] == .bool(true))
        #expect((report["orders_accepted"]?.int64 ?? 0) > 50 && (report["fills"]?.int64 ?? 0) > 0, "the engine traded")
        #expect((report["simulated_seconds"]?.int64 ?? 0) >= 3600)
        #expect(p.terminationStatus == 0 && FileManager.default.fileExists(atPath: dir + "/report.json"))
        if passed { _ = try? run(["rm", "-rf", dir]) }
    }
}
