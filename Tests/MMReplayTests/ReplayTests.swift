import MMBook
import MMCore
import MMReplay
import TestSupport
import Testing

@Suite("Replaying the five real sessions")
struct ReplayTests {
    struct Session: Sendable, CustomStringConvertible {
        var files: [String]
        var diffs: Int
        var oracleChecks: Int
        var buffered: Int
        var description: String { files[0] }
    }

    // Oracle-check counts are PROVENANCE.md's independent count of bookTickers whose u equals a diff's u.
    static let sessions = [
        Session(files: ["btcusdt_20230404.dat.gz", "btcusdt_20230405.dat.gz"], diffs: 16110, oracleChecks: 1565, buffered: 0),
        Session(files: ["btcusdt_20240718.gz", "btcusdt_20240719.gz"], diffs: 9022, oracleChecks: 625, buffered: 6),
        Session(files: ["ethusdt_20240718.gz", "ethusdt_20240719.gz"], diffs: 8929, oracleChecks: 834, buffered: 7),
        Session(files: ["btcusdt_20240808.gz"], diffs: 6551, oracleChecks: 629, buffered: 6),
        Session(files: ["ethusdt_20240808.gz"], diffs: 6586, oracleChecks: 551, buffered: 7),
    ]

    @Test("session rebuilds with zero oracle mismatches", arguments: sessions)
    func session(_ s: Session) throws {
        let report = try ReplayVerifier.verify(paths: s.files.map(Fixtures.recording))
        #expect(report.diffs == s.diffs)
        #expect(report.buffered == s.buffered)
        #expect(report.oracleMismatches == 0)
        #expect(report.crossedBooks == 0)
        #expect(report.gaps == 0 && report.resyncs == 0)
        #expect(report.malformedMessages == 0 && report.malformedLines == 0)
        #expect(report.allSynced)
        #expect(report.exitStatus == 0)
        #expect(report.symbols.first?.rejectedLevels == 0)
        // Diffs that arrive before the snapshot and precede the bridge are dropped; all others are applied.
        #expect(report.applied + (report.symbols.first?.counters.droppedBeforeSnapshot ?? 0) == s.diffs)
        // Every bookTicker whose u equals a diff's u is checked: the count matches PROVENANCE.md's own.
        #expect(report.oracleChecks == s.oracleChecks)
    }

    @Test func cryptofeedCaptureWithRestSnapshots() throws {
        let dir = "binance_usdm/cryptofeed_sample/"
        let report = try ReplayVerifier.verify(paths: [Fixtures.path(dir + "BINANCE_FUTURES.ws.1.0"), Fixtures.path(dir + "BINANCE_FUTURES.http.0.0")])
        #expect(report.symbols.count == 4)
        #expect(report.diffs == 764)
        #expect(report.oracleChecks > 0 && report.oracleMismatches == 0)
        #expect(report.allSynced && report.gaps == 0)
        #expect(report.symbols.allSatisfy { $0.rejectedLevels == 0 }, "CTKUSDT levels at the old 5-digit precision are kept")
        #expect(report.exitStatus == 0)
        #expect(report.json().contains(#""final_best_bid":{"AKROUSDT":"0.01734""#))
    }

    @Test func shippedRecordingVerifies() throws {
        let report = try ReplayVerifier.verify(paths: [Fixtures.packageRoot + "/recordings/btcusdt_20240718.gz"])
        #expect(report.diffs == 3326)
        #expect(report.oracleMismatches == 0 && report.oracleChecks > 0)
        #expect(report.exitStatus == 0)
    }

    /// Writes a copy of a recording with the `n`-th diff after the snapshot removed.
    func recordingWithMissingDiff(_ name: String, afterSnapshot n: Int, appendSnapshot: Bool = false) throws -> String {
        let reader = try LineReader(path: Fixtures.recording(name))
        var out: [UInt8] = []
        var seenSnapshot = false
        var diffsAfter = 0
        var snapshotLine: [UInt8] = []
        while let line = try reader.nextLine() {
            let text = String(decoding: line, as: UTF8.self)
            if text.contains("lastUpdateId") {
                seenSnapshot = true
                snapshotLine = Array(line)
            } else if seenSnapshot && text.contains("depthUpdate") {
                diffsAfter += 1
                if diffsAfter == n { continue }
            }
            out.append(contentsOf: line)
            out.append(0x0A)
        }
        if appendSnapshot { out.append(contentsOf: snapshotLine + [0x0A]) }
        let path = Fixtures.temporaryPath("\(name)-gap-\(n)-\(appendSnapshot).txt")
        Fixtures.write(out, to: path)
        return path
    }

    @Test func missingDiffIsAGapAndLeavesTheBookStale() throws {
        let path = try recordingWithMissingDiff("btcusdt_20240808.gz", afterSnapshot: 100)
        let report = try ReplayVerifier.verify(paths: [path])
        #expect(report.gaps == 1)
        #expect(report.resyncs == 1)
        #expect(!report.allSynced)
        #expect(report.oracleMismatches == 0, "a stale book is never checked against, so never wrongly trusted")
        #expect(report.exitStatus == 3)
        #expect(report.json().contains(#""final_best_bid":null"#))
        #expect(report.json().contains(#""status":"stale""#))
        #expect(report.applied < report.diffs - 50)
    }

    @Test func staleSnapshotAfterAGapIsRefused() throws {
        // The only snapshot in the file is older than the diffs buffered after the gap.
        let path = try recordingWithMissingDiff("btcusdt_20240808.gz", afterSnapshot: 100, appendSnapshot: true)
        let report = try ReplayVerifier.verify(paths: [path])
        #expect(report.gaps == 1)
        #expect(report.resyncs == 2, "the gap and then the too-old snapshot")
        #expect(!report.allSynced)
        #expect(report.exitStatus == 3)
    }

    @Test func recordingWithoutSnapshotNeverSyncs() throws {
        let report = try ReplayVerifier.verify(paths: [Fixtures.recording("btcusdt_20240719.gz")])
        #expect(report.applied == 0 && report.diffs == 5696)
        #expect(report.status == "never_synced" && report.exitStatus == 3)
    }
}
