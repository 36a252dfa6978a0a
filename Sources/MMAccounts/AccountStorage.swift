import Foundation
import GRDB

/// One stored account: its name, venue and the sealed API key and secret. Nothing in clear but the name
/// and the venue.
public struct StoredAccount: Sendable, Equatable {
    public var name: String
    public var venue: String
    public var sealedKey: [UInt8]
    public var sealedSecret: [UInt8]
    public var createdAtMillis: Int64

    public init(name: String, venue: String, sealedKey: [UInt8], sealedSecret: [UInt8], createdAtMillis: Int64) {
        self.name = name
        self.venue = venue
        self.sealedKey = sealedKey
        self.sealedSecret = sealedSecret
        self.createdAtMillis = createdAtMillis
    }
}

/// Where accounts live. SQLite is the embedded store; a server database can implement the same.
public protocol AccountStorage: Sendable {
    func value(_ key: String) throws -> [UInt8]?
    func accounts() throws -> [StoredAccount]
    func insert(_ account: StoredAccount) throws
    func delete(name: String) throws -> Bool
    /// Replaces every account and the given values in one transaction (master-key rotation).
    func replaceAll(_ accounts: [StoredAccount], values: [String: [UInt8]]) throws
    func setValue(_ key: String, _ value: [UInt8]) throws
}

/// The SQLite store (GRDB), with its migrations.
public final class SQLiteAccountStorage: AccountStorage {
    let queue: DatabaseQueue

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        queue = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 accounts") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
            }
            try db.create(table: "accounts") { t in
                t.primaryKey("name", .text)
                t.column("venue", .text).notNull()
                t.column("sealed_key", .blob).notNull()
                t.column("sealed_secret", .blob).notNull()
                t.column("created_at_ms", .integer).notNull()
            }
        }
        migrator.registerMigration("v2 markets") { db in
            try db.create(table: "markets") { t in
                t.column("venue", .text).notNull()
                t.column("venue_symbol", .text).notNull()
                t.column("type", .text).notNull()
                t.column("base", .text).notNull()
                t.column("quote", .text).notNull()
                t.column("settle", .text)
                t.column("tick_size", .text).notNull()
                t.column("step_size", .text).notNull()
                t.column("min_qty", .text).notNull()
                t.column("max_qty", .text).notNull()
                t.column("min_notional", .text).notNull()
                t.column("contract_size", .text).notNull()
                t.column("status", .text).notNull()
                t.column("updated_at_ms", .integer).notNull()
                t.primaryKey(["venue", "venue_symbol"])
            }
            try db.create(table: "market_skips") { t in
                t.column("venue", .text).notNull()
                t.column("venue_symbol", .text).notNull()
                t.column("reason", .text).notNull()
                t.primaryKey(["venue", "venue_symbol"])
            }
        }
        Self.registerTradingRecords(&migrator)
        try migrator.migrate(queue)
        chmod(path, 0o600)
    }

    public func value(_ key: String) throws -> [UInt8]? {
        try queue.read { db in try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).map { [UInt8]($0) } }
    }

    public func setValue(_ key: String, _ value: [UInt8]) throws {
        try queue.write { db in try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, Data(value)]) }
    }

    public func accounts() throws -> [StoredAccount] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT name, venue, sealed_key, sealed_secret, created_at_ms FROM accounts ORDER BY name").map {
                StoredAccount(
                    name: $0["name"], venue: $0["venue"], sealedKey: [UInt8]($0["sealed_key"] as Data),
                    sealedSecret: [UInt8]($0["sealed_secret"] as Data), createdAtMillis: $0["created_at_ms"])
            }
        }
    }

    public func insert(_ a: StoredAccount) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO accounts(name, venue, sealed_key, sealed_secret, created_at_ms) VALUES (?, ?, ?, ?, ?)",
                arguments: [a.name, a.venue, Data(a.sealedKey), Data(a.sealedSecret), a.createdAtMillis])
        }
    }

    public func delete(name: String) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM accounts WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    public func replaceAll(_ accounts: [StoredAccount], values: [String: [UInt8]]) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM accounts")
            for a in accounts {
                try db.execute(
                    sql: "INSERT INTO accounts(name, venue, sealed_key, sealed_secret, created_at_ms) VALUES (?, ?, ?, ?, ?)",
                    arguments: [a.name, a.venue, Data(a.sealedKey), Data(a.sealedSecret), a.createdAtMillis])
            }
            for (k, v) in values { try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [k, Data(v)]) }
        }
    }
}
