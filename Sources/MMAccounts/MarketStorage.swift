import Foundation
import GRDB
import MMCore
import MMVenue

/// Stored markets of every venue, in the same SQLite file as the accounts.
extension SQLiteAccountStorage {
    /// The markets stored for `venue`, by venue symbol.
    public func markets(venue: VenueID) throws -> [MarketSpec] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM markets WHERE venue = ? ORDER BY venue_symbol", arguments: [venue.rawValue]).compactMap { r in
                let status = MarketStatus(rawValue: r["status"]) ?? .trading
                let type = MarketType(rawValue: r["type"]) ?? .spot
                return try? MarketSpec.make(
                    venue: venue, type: type, venueSymbol: r["venue_symbol"], base: r["base"], quote: r["quote"], settle: r["settle"],
                    tickSize: r["tick_size"], stepSize: r["step_size"], minQuantity: r["min_qty"], maxQuantity: r["max_qty"],
                    minNotional: r["min_notional"], contractSize: r["contract_size"], status: status
                ).get()
            }
        }
    }

    /// The skips recorded for `venue`.
    public func skips(venue: VenueID) throws -> [MarketSpec.Skip] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT venue_symbol, reason FROM market_skips WHERE venue = ? ORDER BY venue_symbol", arguments: [venue.rawValue])
                .map { MarketSpec.Skip(venueSymbol: $0["venue_symbol"], reason: $0["reason"]) }
        }
    }

    /// Applies a sync's difference in one transaction.
    public func apply(_ diff: MarketDiff, venue: VenueID, nowMillis: Int64) throws {
        try queue.write { db in
            for m in diff.added + diff.updated.map(\.market) + diff.delisted {
                let i = m.instrument
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO markets(venue, venue_symbol, type, base, quote, settle, tick_size, step_size, min_qty, max_qty,
                        min_notional, contract_size, status, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        venue.rawValue, m.venueSymbol, m.type.rawValue, m.base, m.quote, m.settle, i.tickSize.description, i.stepSize.description,
                        i.minQuantity.description, i.maxQuantity.description, i.minNotional.description, m.contractSize.description, m.status.rawValue,
                        nowMillis,
                    ])
            }
            for k in diff.skipped {
                try db.execute(sql: "INSERT OR REPLACE INTO market_skips(venue, venue_symbol, reason) VALUES (?, ?, ?)", arguments: [venue.rawValue, k.venueSymbol, k.reason])
            }
        }
    }
}
