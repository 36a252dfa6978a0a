import MMCore
import MMReplay
import TestSupport
import Testing

@Suite("Recording line formats")
struct RecordingFormatTests {
    func parse(_ text: String) -> (Int64, String, String?)? {
        var copy = text
        return copy.withUTF8 { utf8 -> (Int64, String, String?)? in
            guard case .message(let l) = RecordingFormat.parse(UnsafeRawBufferPointer(utf8)) else { return nil }
            return (l.receivedNanos, String(decoding: l.json, as: UTF8.self), l.symbolHint?.description)
        }
    }

    @Test func hftbacktestNanosAndMicros() {
        #expect(parse(#"1721347020984480942 {"a":1}"#)! == (1_721_347_020_984_480_942, #"{"a":1}"#, nil))
        #expect(parse(#"1680652700423575 {"a":1}"#)!.0 == 1_680_652_700_423_575_000)
    }

    @Test func cryptofeedLines() {
        #expect(parse(#"1626992741.06217: {"x":2}"#)! == (1_626_992_741_062_170_000, #"{"x":2}"#, nil))
        let rest = parse(#"https://fapi.binance.com/fapi/v1/depth?symbol=SUSHIUSDT&limit=1000 -> 1626992741.301402: {"lastUpdateId":1}"#)!
        #expect(rest.0 == 1_626_992_741_301_402_000 && rest.2 == "SUSHIUSDT" && rest.1 == #"{"lastUpdateId":1}"#)
        var header = "wss://fstream.binance.com/stream?streams=a/b <-> 1626992740.179554"
        header.withUTF8 { u in
            guard case .skip = RecordingFormat.parse(UnsafeRawBufferPointer(u)) else {
                Issue.record("header not skipped")
                return
            }
        }
        var junk = "garbage line"
        junk.withUTF8 { u in
            guard case .malformed = RecordingFormat.parse(UnsafeRawBufferPointer(u)) else {
                Issue.record("junk accepted")
                return
            }
        }
    }

    @Test func gzipAndPlainReadTheSameLines() throws {
        let gz = try LineReader(path: Fixtures.packageRoot + "/recordings/btcusdt_20240718.gz")
        var lines: [[UInt8]] = []
        while let l = try gz.nextLine() { lines.append(Array(l)) }
        #expect(lines.count == 3326 + 7113 + 974 + 1)
        let plainPath = Fixtures.temporaryPath("plain.txt")
        Fixtures.write(lines.prefix(100).flatMap { $0 + [0x0A] }, to: plainPath)
        let plain = try LineReader(path: plainPath)
        var n = 0
        while let l = try plain.nextLine() {
            #expect(Array(l) == lines[n])
            n += 1
        }
        #expect(n == 100)
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: ReplayError.self) { try LineReader(path: "/nonexistent/recording.gz") }
        do { _ = try LineReader(path: "/nonexistent/recording.gz") } catch {
            #expect(error.description.contains("/nonexistent/recording.gz"))
        }
    }
}
