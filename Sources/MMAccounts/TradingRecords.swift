import Foundation
import GRDB
import MMCore
import MMVenue

/// One order as the store keeps it: placed by client ID, updated as it executes.
public struct OrderRecord: Sendable, Equatable {
    public var venue: VenueID
    public var account: String
    public var symbol: String
    public var clientOrderID: String
    public var venueOrderID: String?
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    public var executed: Quantity
    /// The venue's own status word (`NEW`, `PARTIALLY_CANCELED`, …), or `PREPARED` before it was sent.
    public var status: String
    public var updatedAtMillis: Int64

    public init(
        venue: VenueID, account: String, symbol: String, clientOrderID: String, venueOrderID: String?, side: Side, price: Price, quantity: Quantity,
        executed: Quantity, status: String, updatedAtMillis: Int64
    ) {
        self.venue = venue
        self.account = account
        self.symbol = symbol
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.side = side
        self.price = price
        self.quantity = quantity
        self.executed = executed
        self.status = status
        self.updatedAtMillis = updatedAtMillis
    }
}

/// One fill of the account's, as the venue reported it.
public struct TradeRecord: Sendable, Equatable {
    public var venue: VenueID
    public var account: String
    public var symbol: String
    public var tradeID: String
    public var venueOrderID: String?
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    public var fee: String
    public var feeAsset: String
    public var timeMillis: Int64

    public init(
        venue: VenueID, account: String, symbol: String, tradeID: String, venueOrderID: String?, side: Side, price: Price, quantity: Quantity, fee: String,
        feeAsset: String, timeMillis: Int64
    ) {
        self.venue = venue
        self.account = account
        self.symbol = symbol
        self.tradeID = tradeID
        self.venueOrderID = venueOrderID
        self.side = side
        self.price = price
        self.quantity = quantity
        self.fee = fee
        self.feeAsset = feeAsset
        self.timeMillis = timeMillis
    }
}

/// A strategy's holding in one market: quantity and weighted average cost.
public struct PositionRecord: Sendable, Equatable {
    public var base: Quantity
    public var averageCost: Price
    public var updatedAtMillis: Int64

    public init(base: Quantity, averageCost: Price, updatedAtMillis: Int64) {
        self.base = base
        self.averageCost = averageCost
        self.updatedAtMillis = updatedAtMillis
    }
}

/// Orders, trades, balances, positions and strategy runs: what trading leaves behind. The SQLite store
/// implements it; a server database can implement it the same way.
public protocol TradingRecordStorage: Sendable {
    func upsert(_ order: OrderRecord) throws
    func orders(venue: VenueID, symbol: String) throws -> [OrderRecord]
    /// Inserts trades not yet stored (by venue and trade ID); the count inserted.
    func insertNew(_ trades: [TradeRecord]) throws -> Int
    func trades(venue: VenueID, symbol: String) throws -> [TradeRecord]
    func replaceBalances(account: String, _ balances: [String: AssetBalance], nowMillis: Int64) throws
    func balances(account: String) throws -> [String: AssetBalance]
    func position(venue: VenueID, symbol: String) throws -> PositionRecord?
    func setPosition(venue: VenueID, symbol: String, _ position: PositionRecord) throws
    /// The next run number (one more than the last stored).
    func nextRunID() throws -> UInt64
    func recordRun(id: UInt64, venue: VenueID, symbol: String, status: String, action: String, startedAtMillis: Int64, endedAtMillis: Int64, json: String) throws
    /// Stored runs, oldest first: (ID, status, JSON).
    func runs() throws -> [(id: UInt64, status: String, json: String)]
}

extension SQLiteAccountStorage: TradingRecordStorage {
    static func registerTradingRecords(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3 trading records") { db in
            try db.create(table: "orders") { t in
                t.column("venue", .text).notNull()
                t.column("client_order_id", .text).notNull()
                t.column("account", .text).notNull()
                t.column("symbol", .text).notNull()
                t.column("venue_order_id", .text)
                t.column("side", .text).notNull()
                t.column("price", .text).notNull()
                t.column("quantity", .text).notNull()
                t.column("executed", .text).notNull()
                t.column("status", .text).notNull()
                t.column("updated_at_ms", .integer).notNull()
                t.primaryKey(["venue", "client_order_id"])
            }
            try db.create(table: "trades") { t in
                t.column("venue", .text).notNull()
                t.column("trade_id", .text).notNull()
                t.column("account", .text).notNull()
                t.column("symbol", .text).notNull()
                t.column("venue_order_id", .text)
                t.column("side", .text).notNull()
                t.column("price", .text).notNull()
                t.column("quantity", .text).notNull()
                t.column("fee", .text).notNull()
                t.column("fee_asset", .text).notNull()
                t.column("time_ms", .integer).notNull()
                t.primaryKey(["venue", "trade_id"])
            }
            try db.create(table: "balances") { t in
                t.column("account", .text).notNull()
                t.column("asset", .text).notNull()
                t.column("free", .text).notNull()
                t.column("locked", .text).notNull()
                t.column("at_ms", .integer).notNull()
                t.primaryKey(["account", "asset"])
            }
            try db.create(table: "positions") { t in
                t.column("venue", .text).notNull()
                t.column("symbol", .text).notNull()
                t.column("base", .text).notNull()
                t.column("average_cost", .text).notNull()
                t.column("updated_at_ms", .integer).notNull()
                t.primaryKey(["venue", "symbol"])
            }
            try db.create(table: "strategy_runs") { t in
                t.primaryKey("id", .integer)
                t.column("venue", .text).notNull()
                t.column("symbol", .text).notNull()
                t.column("status", .text).notNull()
                t.column("action", .text).notNull()
                t.column("started_at_ms", .integer).notNull()
                t.column("ended_at_ms", .integer).notNull()
                t.column("result", .text).notNull()
            }
        }
    }

    public func upsert(_ o: OrderRecord) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO orders(venue, client_order_id, account, symbol, venue_order_id, side, price, quantity, executed, status, updated_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    o.venue.rawValue, o.clientOrderID, o.account, o.symbol, o.venueOrderID, "\(o.side)", o.price.description, o.quantity.description,
                    o.executed.description, o.status, o.updatedAtMillis,
                ])
        }
    }

    public func orders(venue: VenueID, symbol: String) throws -> [OrderRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM orders WHERE venue = ? AND symbol = ? ORDER BY updated_at_ms", arguments: [venue.rawValue, symbol]).compactMap { r in
                guard let side = Side(wire: r["side"]), let price = try? Price(parsing: r["price"] as String), let q = try? Quantity(parsing: r["quantity"] as String),
                    let e = try? Quantity(parsing: r["executed"] as String)
                else { return nil }
                return OrderRecord(
                    venue: venue, account: r["account"], symbol: r["symbol"], clientOrderID: r["client_order_id"], venueOrderID: r["venue_order_id"], side: side,
                    price: price, quantity: q, executed: e, status: r["status"], updatedAtMillis: r["updated_at_ms"])
            }
        }
    }

    public func insertNew(_ trades: [TradeRecord]) throws -> Int {
        try queue.write { db in
            var n = 0
            for t in trades {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO trades(venue, trade_id, account, symbol, venue_order_id, side, price, quantity, fee, fee_asset, time_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        t.venue.rawValue, t.tradeID, t.account, t.symbol, t.venueOrderID, "\(t.side)", t.price.description, t.quantity.description, t.fee,
                        t.feeAsset, t.timeMillis,
                    ])
                n += db.changesCount
            }
            return n
        }
    }

    public func trades(venue: VenueID, symbol: String) throws -> [TradeRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM trades WHERE venue = ? AND symbol = ? ORDER BY time_ms, trade_id", arguments: [venue.rawValue, symbol]).compactMap { r in
                guard let side = Side(wire: r["side"]), let price = try? Price(parsing: r["price"] as String), let q = try? Quantity(parsing: r["quantity"] as String) else {
                    return nil
                }
                return TradeRecord(
                    venue: venue, account: r["account"], symbol: r["symbol"], tradeID: r["trade_id"], venueOrderID: r["venue_order_id"], side: side, price: price,
                    quantity: q, fee: r["fee"], feeAsset: r["fee_asset"], timeMillis: r["time_ms"])
            }
        }
    }

    public func replaceBalances(account: String, _ balances: [String: AssetBalance], nowMillis: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM balances WHERE account = ?", arguments: [account])
            for (asset, b) in balances {
                try db.execute(
                    sql: "INSERT INTO balances(account, asset, free, locked, at_ms) VALUES (?, ?, ?, ?, ?)",
                    arguments: [account, asset, b.free.description, b.locked.description, nowMillis])
            }
        }
    }

    public func balances(account: String) throws -> [String: AssetBalance] {
        try queue.read { db in
            var out: [String: AssetBalance] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT asset, free, locked FROM balances WHERE account = ?", arguments: [account]) {
                guard let f = try? Notional(parsing: r["free"] as String), let l = try? Notional(parsing: r["locked"] as String) else { continue }
                out[r["asset"]] = AssetBalance(free: f, locked: l)
            }
            return out
        }
    }

    public func position(venue: VenueID, symbol: String) throws -> PositionRecord? {
        try queue.read { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT * FROM positions WHERE venue = ? AND symbol = ?", arguments: [venue.rawValue, symbol]),
                let base = try? Quantity(parsing: r["base"] as String), let cost = try? Price(parsing: r["average_cost"] as String)
            else { return nil }
            return PositionRecord(base: base, averageCost: cost, updatedAtMillis: r["updated_at_ms"])
        }
    }

    public func setPosition(venue: VenueID, symbol: String, _ p: PositionRecord) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO positions(venue, symbol, base, average_cost, updated_at_ms) VALUES (?, ?, ?, ?, ?)",
                arguments: [venue.rawValue, symbol, p.base.description, p.averageCost.description, p.updatedAtMillis])
        }
    }

    public func nextRunID() throws -> UInt64 {
        try queue.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM strategy_runs") ?? 0) + 1 }
    }

    public func recordRun(id: UInt64, venue: VenueID, symbol: String, status: String, action: String, startedAtMillis: Int64, endedAtMillis: Int64, json: String) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO strategy_runs(id, venue, symbol, status, action, started_at_ms, ended_at_ms, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [Int64(id), venue.rawValue, symbol, status, action, startedAtMillis, endedAtMillis, json])
        }
    }

    public func runs() throws -> [(id: UInt64, status: String, json: String)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, status, result FROM strategy_runs ORDER BY id").map { (UInt64($0["id"] as Int64), $0["status"], $0["result"]) }
        }
    }
}

extension Side {
    /// `BUY` / `SELL`.
    init?(wire: String) {
        switch wire {
        case "BUY": self = .buy
        case "SELL": self = .sell
        default: return nil
        }
    }
}
