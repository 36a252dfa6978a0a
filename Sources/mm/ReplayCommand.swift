import ArgumentParser
import MMBinanceWire
import MMCore
import MMReplay

#if canImport(Glibc)
import Glibc
#endif

/// `mm replay --verify <files…>`: rebuild books from recordings and check them against the exchange.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild order books from recorded Binance data and verify them.",
        discussion: """
            Reads hftbacktest recordings (`<ts> <json>` lines, gzip or plain) and cryptofeed captures \
            (`*.ws.*` with its `*.http.*` REST capture, added automatically when beside it). Files are merged \
            in receive-time order, so pass every day file of a session together. Prints one JSON summary on \
            stdout. Exit status: 0 verified; 1 an oracle mismatch or crossed book; 3 a book ended stale \
            (gap with no later snapshot, or never synced); 2 the input could not be read.
            """
    )

    @Flag(name: .long, help: "Check the rebuilt best bid/ask against every bookTicker with a matching u.")
    var verify = false

    @Option(name: .long, help: "exchangeInfo JSON body to take tick and step sizes from (default: built-in slice).")
    var exchangeInfo: String?

    @Argument(help: "Recording files of one session.")
    var files: [String]

    func validate() throws {
        guard verify else { throw ValidationError("only --verify is implemented: pass --verify") }
        guard !files.isEmpty else { throw ValidationError("give at least one recording file") }
    }

    func run() throws {
        var instruments = EmbeddedInstruments.all
        if let path = exchangeInfo {
            do {
                let bytes = try readWholeFile(path)
                let (list, rejected) = try ExchangeInfo.instruments(from: bytes)
                for r in rejected { printError("exchangeInfo: skipped \(r)") }
                instruments = list
            } catch {
                printError("mm replay: cannot read exchangeInfo \(path): \(error)")
                throw ExitCode(2)
            }
        }
        let paths = withCompanions(files)
        let report: ReplayVerifier.Report
        do {
            report = try ReplayVerifier.verify(paths: paths, instruments: instruments)
        } catch {
            printError("mm replay: \(error)")
            throw ExitCode(2)
        }
        print(report.json())
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }

    /// Adds the cryptofeed REST capture (`NAME.http.*`) next to a websocket capture (`NAME.ws.*`).
    func withCompanions(_ files: [String]) -> [String] {
        var out = files
        for f in files {
            let slash = f.lastIndex(of: "/")
            let dir = slash.map { String(f[..<$0]) } ?? "."
            let name = slash.map { String(f[f.index(after: $0)...]) } ?? f
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard let ws = parts.lastIndex(of: "ws"), ws > 0 else { continue }
            let prefix = parts[..<ws].joined(separator: ".") + ".http."
            for candidate in listDirectory(dir) where candidate.hasPrefix(prefix) {
                let full = slash == nil ? candidate : dir + "/" + candidate
                if !out.contains(full) { out.append(full) }
            }
        }
        return out
    }
}

/// Writes a line to stdout unbuffered, so a person or a script sees it at once.
func printLine(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
}

func printError(_ text: String, terminator: String = "\n") {
    var line = text + terminator
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func readWholeFile(_ path: String) throws(ReplayError) -> [UInt8] {
    let reader = try LineReader(path: path)
    var bytes: [UInt8] = []
    while let line = try reader.nextLine() {
        bytes.append(contentsOf: line)
        bytes.append(0x0A)
    }
    return bytes
}

func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}
