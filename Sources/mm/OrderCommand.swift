import ArgumentParser
import Foundation
import MMAccounts
import MMBinanceWire
import MMCore
import MMVenueClients
import MMVenue

/// `mm order`: one order at a time through an account's venue, with idempotent client IDs.
struct Order: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Place, look up, cancel and list limit orders on an account's venue (Binance USDⓈ-M, Binance spot, MEXC).",
        subcommands: [OrderPlace.self, OrderGet.self, OrderCancel.self, OrderList.self])
}

/// The account and venue options every `mm order` subcommand takes.
struct OrderTarget: ParsableArguments {
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Account name.")
    var account: String
    @Option(name: .long, help: "Venue symbol, e.g. QRLUSDT.")
    var symbol: String
    @Option(name: .long, help: "REST base URL (default: the venue's).")
    var restUrl: String?

    func client() throws -> any TradingClient {
        try options.tradingAccount(account, restUrl: restUrl, command: "mm order", what: "order").1
    }
}

func orderFailure(_ error: VenueFailure) -> ExitCode {
    printLine(#"{"ok":false,"http":\#(error.httpStatus),"code":\#(error.code ?? 0),"kind":"\#(error.kind)","message":\#(JSONString.quoted(error.message))}"#)
    return ExitCode(1)
}

struct OrderPlace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "place",
        abstract: "Place a limit order. The client ID makes it idempotent: placing the same ID again finds the order instead of sending a second.")
    @OptionGroup var target: OrderTarget
    @Option(name: .long, help: "BUY or SELL.")
    var side: String
    @Option(name: .long, help: "Limit price.")
    var price: String
    @Option(name: .long, help: "Quantity in the base asset.")
    var quantity: String
    @Option(name: .long, help: "Client order ID (in the venue's alphabet).")
    var clientId: String

    func run() async throws {
        let sides: [String: Side] = ["BUY": .buy, "SELL": .sell]
        guard let s = sides[side.uppercased()] else {
            printError("mm order: --side \(side): BUY or SELL")
            throw ExitCode(2)
        }
        guard let p = try? Price(parsing: price), p.raw > 0 else {
            printError("mm order: --price \(price) is not a positive decimal")
            throw ExitCode(2)
        }
        guard let q = try? Quantity(parsing: quantity), q.raw > 0 else {
            printError("mm order: --quantity \(quantity) is not a positive decimal")
            throw ExitCode(2)
        }
        let client = try target.client()
        // Idempotent: an order with this client ID already at the venue is the answer.
        if let existing = try? await client.order(symbol: target.symbol, clientOrderID: clientId) {
            printLine(#"{"event":"order.exists","order_id":"\#(existing.ref)","client_id":"\#(clientId)","status":"\#(existing.status.venueStatus)"}"#)
            return
        }
        do {
            let ref = try await client.placeLimit(symbol: target.symbol, side: s, price: p, quantity: q, clientOrderID: clientId)
            printLine(#"{"event":"order.placed","order_id":"\#(ref)","client_id":"\#(clientId)"}"#)
        } catch {
            throw orderFailure(error)
        }
    }
}

struct OrderGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Look an order up by its client ID.")
    @OptionGroup var target: OrderTarget
    @Option(name: .long, help: "Client order ID.")
    var clientId: String

    func run() async throws {
        let client = try target.client()
        do {
            let o = try await client.order(symbol: target.symbol, clientOrderID: clientId)
            printLine(#"{"order_id":"\#(o.ref)","client_id":"\#(clientId)","status":"\#(o.status.venueStatus)","normalized":"\#(o.status.status.rawValue)","executed":"\#(o.executed)"}"#)
        } catch {
            throw orderFailure(error)
        }
    }
}

struct OrderCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel an order by its client ID.")
    @OptionGroup var target: OrderTarget
    @Option(name: .long, help: "Client order ID.")
    var clientId: String

    func run() async throws {
        let client = try target.client()
        do {
            let o = try await client.order(symbol: target.symbol, clientOrderID: clientId)
            try await client.cancel(symbol: target.symbol, o.ref)
            printLine(#"{"event":"order.canceled","order_id":"\#(o.ref)","client_id":"\#(clientId)"}"#)
        } catch {
            throw orderFailure(error)
        }
    }
}

struct OrderList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the open orders of a symbol.")
    @OptionGroup var target: OrderTarget

    func run() async throws {
        let client = try target.client()
        do {
            for o in try await client.openOrders(symbol: target.symbol) {
                printLine(#"{"order_id":"\#(o.ref)","client_id":"\#(o.clientOrderID)","side":"\#(o.side)","price":"\#(o.price)","quantity":"\#(o.quantity)","executed":"\#(o.executed)","status":"\#(o.status.venueStatus)"}"#)
            }
        } catch {
            throw orderFailure(error)
        }
    }
}
