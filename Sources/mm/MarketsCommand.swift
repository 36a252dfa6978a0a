import ArgumentParser
import Foundation
import MMAccounts
import MMCore
import MMVenueClients
import MMVenue

/// `mm markets`: a venue's markets, synced into the store and shown from it.
struct Markets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sync a venue's markets into the store and show them.", subcommands: [MarketsSync.self, MarketsShow.self])
}

struct MarketsSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch the account's venue's markets, print what changed since the last sync (added, updated with the changed fields, delisted, skipped with reasons) and store it.")
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Account name (its venue is synced).")
    var account: String
    @Option(name: .long, help: "Market type: spot (Binance spot, MEXC) or swap (Binance USDⓈ-M perpetuals); default: the venue's.")
    var type: String?
    @Option(name: .long, help: "Only markets quoted in this asset.")
    var quote: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Only these venue symbols.")
    var symbols: [String] = []
    @Option(name: .long, help: "REST base URL (default: the venue's).")
    var restUrl: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        if let type, MarketType(rawValue: type) == nil {
            printError("mm markets: --type \(type): spot or swap")
            throw ExitCode(2)
        }
        let storage = try options.storage(env)
        let (credentials, client) = try options.tradingAccount(account, restUrl: restUrl, command: "mm markets", what: "market")
        let listed: MarketType = credentials.venue == .binanceUSDM ? .linearPerpetual : .spot
        if let type, type != listed.rawValue {
            printError("mm markets: account \(account) is on \(credentials.venue.rawValue), which lists \(listed.rawValue) markets, not \(type)")
            throw ExitCode(2)
        }
        var fetched: (markets: [MarketSpec], skipped: [MarketSpec.Skip])
        do { fetched = try await client.markets() } catch {
            printError("mm markets: \(error) (\(error.kind))")
            throw ExitCode(1)
        }
        func wanted(_ symbol: String, _ quoteAsset: String?) -> Bool {
            (symbols.isEmpty || symbols.contains(symbol)) && (quote == nil || quoteAsset == nil || quoteAsset == quote)
        }
        fetched.markets = fetched.markets.filter { wanted($0.venueSymbol, $0.quote) }
        fetched.skipped = fetched.skipped.filter { wanted($0.venueSymbol, nil) }
        let venue = credentials.venue
        let stored = try storage.markets(venue: venue).filter { wanted($0.venueSymbol, $0.quote) }
        let diff = MarketDiff.between(stored: stored, listed: fetched.markets, skipped: fetched.skipped, skippedBefore: try storage.skips(venue: venue))
        func describe(_ m: MarketSpec) -> String {
            let i = m.instrument
            return #""venue":"\#(venue.rawValue)","symbol":"\#(m.venueSymbol)","unified":"\#(m.unified)","tick_size":"\#(i.tickSize)","step_size":"\#(i.stepSize)","min_qty":"\#(i.minQuantity)","min_notional":"\#(i.minNotional)","status":"\#(m.status.rawValue)""#
        }
        for m in diff.added { printLine(#"{"event":"market.added",\#(describe(m))}"#) }
        for u in diff.updated {
            printLine(#"{"event":"market.updated",\#(describe(u.market)),"changes":[\#(u.changes.map { #""\#($0)""# }.joined(separator: ","))]}"#)
        }
        for m in diff.delisted { printLine(#"{"event":"market.delisted","venue":"\#(venue.rawValue)","symbol":"\#(m.venueSymbol)"}"#) }
        for k in diff.skipped { printLine(#"{"event":"market.skipped","venue":"\#(venue.rawValue)","symbol":"\#(k.venueSymbol)","reason":"\#(k.reason)"}"#) }
        try storage.apply(diff, venue: venue, nowMillis: UnixNanos.now().millis)
        printLine(#"{"event":"markets.synced","venue":"\#(venue.rawValue)","listed":\#(fetched.markets.count),"added":\#(diff.added.count),"updated":\#(diff.updated.count),"delisted":\#(diff.delisted.count),"skipped":\#(diff.skipped.count)}"#)
    }
}

struct MarketsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the stored markets of a venue, one JSON line each.")
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Venue: \(VenueID.allCases.map(\.rawValue).joined(separator: ", ")).")
    var venue: String

    func run() async throws {
        guard let id = VenueID(rawValue: venue) else {
            printError("mm markets: unknown venue '\(venue)'")
            throw ExitCode(2)
        }
        for m in try options.storage(ProcessInfo.processInfo.environment).markets(venue: id) {
            let i = m.instrument
            printLine(#"{"venue":"\#(id.rawValue)","symbol":"\#(m.venueSymbol)","unified":"\#(m.unified)","type":"\#(m.type.rawValue)","tick_size":"\#(i.tickSize)","step_size":"\#(i.stepSize)","min_qty":"\#(i.minQuantity)","min_notional":"\#(i.minNotional)","status":"\#(m.status.rawValue)"}"#)
        }
    }
}
