import ArgumentParser
import Foundation
import MMAccounts
import MMBinance
import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMVenueClients
import MMVenue

/// The trading client of a stored account (Binance USDⓈ-M, Binance spot, MEXC), at `restUrl` or the venue's
/// own address; `nil` for a venue with no client yet.
func tradingClient(_ account: AccountCredentials, restUrl: String?) throws -> (any TradingClient)? {
    let url: String
    switch account.venue {
    case .binanceUSDM: url = restUrl ?? USDMRESTClient.defaultURL
    case .mexc, .binanceSpot: url = restUrl ?? SpotRESTClient.defaultURL(account.venue)
    case .bybit, .okx: return nil
    }
    guard let endpoint = Endpoint(url: url) else {
        printError("mm: --rest-url '\(url)' is not a URL")
        throw ExitCode(2)
    }
    do {
        if account.venue == .binanceUSDM { return try USDMRESTClient(endpoint: endpoint, apiKey: account.apiKey, secret: account.secret) }
        return try SpotRESTClient(venue: account.venue, endpoint: endpoint, apiKey: account.apiKey, secret: account.secret)
    } catch {
        printError("mm: account \(account.name): \(error.message)")
        throw ExitCode(2)
    }
}

extension StoreOptions {
    /// A stored account and its trading client, at `restUrl` or the venue's address. `command` and `what`
    /// word the refusal of venues without one ("mm order: no order client for …").
    func tradingAccount(_ name: String, restUrl: String?, command: String, what: String) throws -> (AccountCredentials, any TradingClient) {
        let store = try open(ProcessInfo.processInfo.environment)
        let credentials = try failing { () throws(AccountStoreError) in try store.account(name) }
        guard let client = try tradingClient(credentials, restUrl: restUrl) else {
            printError("\(command): no \(what) client for venue \(credentials.venue.rawValue) yet")
            throw ExitCode(1)
        }
        return (credentials, client)
    }

    /// A stored spot account (Binance spot or MEXC) and its spot client.
    func spotAccount(_ name: String, restUrl: String?, command: String, what: String) throws -> (AccountCredentials, SpotRESTClient) {
        let (credentials, client) = try tradingAccount(name, restUrl: restUrl, command: command, what: what)
        guard let spot = client as? SpotRESTClient else {
            printError("\(command): account \(name) is on \(credentials.venue.rawValue); a spot account (mexc, binance-spot) is needed")
            throw ExitCode(1)
        }
        return (credentials, spot)
    }
}

/// `mm balance`: an account's balances at its venue, one JSON line per asset.
struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an account's balances at its venue: free and locked per asset (USDⓈ-M: available and in use per margin asset).")
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Account name (see `mm accounts list`).")
    var account: String
    @Option(name: .long, help: "REST base URL (default: the venue's).")
    var restUrl: String?

    func run() async throws {
        let (_, client) = try options.tradingAccount(account, restUrl: restUrl, command: "mm balance", what: "balance")
        let balances: [String: AssetBalance]
        do { balances = try await client.balances() } catch {
            printError("mm balance: \(error) (\(error.kind))")
            throw ExitCode(1)
        }
        for asset in balances.keys.sorted() {
            let b = balances[asset]!
            printLine(#"{"account":"\#(account)","asset":"\#(asset)","free":"\#(b.free)","locked":"\#(b.locked)","total":"\#(b.total)"}"#)
        }
    }
}

/// `mm accounts`: venue accounts with their keys sealed under the master key.
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage venue accounts: API keys and secrets encrypted (AES-256-GCM) under a master key, in SQLite.",
        discussion: """
            The master key comes from MM_MASTER_KEY (64 hex digits) or a key file only its owner can read \
            (MM_MASTER_KEY_FILE, default ~/.config/mm/master.key). The store is MM_ACCOUNT_STORE or \
            ~/.local/share/mm/accounts.sqlite. Secrets are read from the environment (MM_ACCOUNT_API_KEY, \
            MM_ACCOUNT_API_SECRET) or standard input, never from arguments, and never printed.
            """,
        subcommands: [AccountsAdd.self, AccountsList.self, AccountsTest.self, AccountsRemove.self, AccountsRotateMaster.self, AccountsNewMasterKey.self]
    )
}

/// Where the store is and how it opens, shared by the subcommands.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Account store (SQLite file).")
    var store: String?

    func path(_ env: [String: String]) -> String {
        store ?? env["MM_ACCOUNT_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? (env["HOME"] ?? NSHomeDirectory()) + "/.local/share/mm/accounts.sqlite"
    }

    /// The store's database, for what it holds besides accounts (markets).
    func storage(_ env: [String: String]) throws -> SQLiteAccountStorage {
        do { return try SQLiteAccountStorage(path: path(env)) } catch {
            printError("mm: account store \(path(env)): \(error)")
            throw ExitCode(2)
        }
    }

    func open(_ env: [String: String]) throws -> AccountStore {
        let path = path(env)
        do {
            let key = try MasterKeySource.load(environment: env)
            return try AccountStore(storage: try SQLiteAccountStorage(path: path), key: key)
        } catch let e as AccountStoreError {
            printError("mm accounts: \(e)")
            throw ExitCode(2)
        } catch {
            printError("mm accounts: account store \(path): \(error)")
            throw ExitCode(2)
        }
    }
}

func failing<T>(_ body: () throws(AccountStoreError) -> T) throws -> T {
    do { return try body() } catch {
        printError("mm accounts: \(error)")
        throw ExitCode(2)
    }
}

struct AccountsAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add an account: the API key and secret from MM_ACCOUNT_API_KEY/MM_ACCOUNT_API_SECRET, or two lines on standard input.")
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Account name (letters, digits, '-', '_', '.').")
    var name: String
    @Option(name: .long, help: "Venue: \(VenueID.allCases.map(\.rawValue).joined(separator: ", ")).")
    var venue: String

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let venueID = VenueID(rawValue: venue) else {
            printError("mm accounts: unknown venue '\(venue)'; one of \(VenueID.allCases.map(\.rawValue).joined(separator: ", "))")
            throw ExitCode(2)
        }
        var key = env["MM_ACCOUNT_API_KEY"] ?? ""
        var secret = env["MM_ACCOUNT_API_SECRET"] ?? ""
        if key.isEmpty || secret.isEmpty {
            key = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
            secret = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        let store = try options.open(env)
        try failing { () throws(AccountStoreError) in try store.add(name: name, venue: venueID, apiKey: key, secret: secret, nowMillis: UnixNanos.now().millis) }
        printLine(#"{"event":"account.added","account":"\#(name)","venue":"\#(venueID.rawValue)","key":"\#(try failing { () throws(AccountStoreError) in try store.account(name) }.maskedKeyID)"}"#)
    }
}

struct AccountsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the accounts: name, venue and a masked key ID.")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        let store = try options.open(ProcessInfo.processInfo.environment)
        for a in try failing({ () throws(AccountStoreError) in try store.list() }) {
            printLine(#"{"account":"\#(a.name)","venue":"\#(a.venue.rawValue)","key":"\#(a.maskedKeyID)"}"#)
        }
    }
}

struct AccountsRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an account.")
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Account name.")
    var name: String

    func run() async throws {
        let store = try options.open(ProcessInfo.processInfo.environment)
        try failing { () throws(AccountStoreError) in try store.remove(name) }
        printLine(#"{"event":"account.removed","account":"\#(name)"}"#)
    }
}

struct AccountsRotateMaster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-master",
        abstract: "Re-encrypt every account under a new master key (MM_NEW_MASTER_KEY, or --new-key-file), in one transaction.")
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Key file of the new master key (owner-only, 64 hex digits).")
    var newKeyFile: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let store = try options.open(env)
        let newKey: MasterKey = try failing { () throws(AccountStoreError) in
            if let file = newKeyFile { return try MasterKeySource.read(file) }
            guard let hex = env["MM_NEW_MASTER_KEY"], let key = MasterKey(hex: hex) else {
                throw AccountStoreError("the new master key: set MM_NEW_MASTER_KEY (64 hex digits) or --new-key-file")
            }
            return key
        }
        let rotated = try failing { () throws(AccountStoreError) in try store.rotate(to: newKey) }
        printLine(#"{"event":"master_key.rotated","accounts":\#(try failing { () throws(AccountStoreError) in try rotated.list() }.count)}"#)
    }
}

struct AccountsNewMasterKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-master-key", abstract: "Write a new random master key to a file readable by its owner only (never overwrites).")
    @Option(name: .long, help: "Key file to create.")
    var out: String

    func run() async throws {
        _ = try failing { () throws(AccountStoreError) in try MasterKeySource.create(at: out) }
        printLine(#"{"event":"master_key.created","file":"\#(out)"}"#)
    }
}

struct AccountsTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Open an account's key and secret and ask its venue for the balance with them.")
    @OptionGroup var options: StoreOptions
    @Option(name: .long, help: "Account name.")
    var name: String
    @Option(name: .long, help: "REST base URL (default: the venue's).")
    var restUrl: String?

    func run() async throws {
        let store = try options.open(ProcessInfo.processInfo.environment)
        let account = try failing { () throws(AccountStoreError) in try store.account(name) }
        guard let client = try tradingClient(account, restUrl: restUrl) else {
            printError("mm accounts: no client for venue \(account.venue.rawValue) yet; the key and secret open with the master key")
            throw ExitCode(1)
        }
        do {
            _ = try await client.balances()
        } catch {
            printLine(#"{"account":"\#(name)","ok":false,"http":\#(error.httpStatus),"code":\#(error.code ?? 0),"kind":"\#(error.kind)"}"#)
            throw ExitCode(1)
        }
        printLine(#"{"account":"\#(name)","venue":"\#(account.venue.rawValue)","key":"\#(account.maskedKeyID)","ok":true}"#)
    }
}
