import MMCore

/// What changed between the markets stored and the markets a venue lists now: added, updated (with the
/// fields that changed), delisted (stored, no longer listed), and skipped with their reasons.
public struct MarketDiff: Sendable, Equatable {
    public struct Update: Sendable, Equatable {
        public var market: MarketSpec
        /// `field: old → new`, one per changed field.
        public var changes: [String]
    }

    public var added: [MarketSpec] = []
    public var updated: [Update] = []
    public var delisted: [MarketSpec] = []
    public var skipped: [MarketSpec.Skip] = []

    public var isEmpty: Bool { added.isEmpty && updated.isEmpty && delisted.isEmpty && skipped.isEmpty }

    /// The difference for one venue. `listed` is what the venue lists now (after any filter); `stored`
    /// what was synced before. A market already stored as delisted is not reported again.
    public static func between(
        stored: [MarketSpec], listed: [MarketSpec], skipped: [MarketSpec.Skip], skippedBefore: [MarketSpec.Skip] = []
    ) -> MarketDiff {
        var diff = MarketDiff()
        let before = Dictionary(stored.map { ($0.venueSymbol, $0) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(listed.map { ($0.venueSymbol, $0) }, uniquingKeysWith: { a, _ in a })
        for m in listed.sorted(by: { $0.venueSymbol < $1.venueSymbol }) {
            guard let old = before[m.venueSymbol] else {
                diff.added.append(m)
                continue
            }
            let changes = changedFields(old, m)
            if !changes.isEmpty { diff.updated.append(Update(market: m, changes: changes)) }
        }
        for m in stored.sorted(by: { $0.venueSymbol < $1.venueSymbol }) where now[m.venueSymbol] == nil && m.status != .delisted {
            var gone = m
            gone.status = .delisted
            diff.delisted.append(gone)
        }
        // A market skipped now but stored before is a skip, not a delisting.
        let skippedNames = Set(skipped.map(\.venueSymbol))
        diff.delisted.removeAll { skippedNames.contains($0.venueSymbol) }
        // Skips already recorded with the same reason are not news.
        let known = Set(skippedBefore.map { $0.venueSymbol + "\u{0}" + $0.reason })
        diff.skipped = skipped.filter { !known.contains($0.venueSymbol + "\u{0}" + $0.reason) }.sorted { $0.venueSymbol < $1.venueSymbol }
        return diff
    }

    static func changedFields(_ a: MarketSpec, _ b: MarketSpec) -> [String] {
        var out: [String] = []
        func check<T: Equatable & CustomStringConvertible>(_ name: String, _ x: T, _ y: T) { if x != y { out.append("\(name): \(x) → \(y)") } }
        check("tickSize", a.instrument.tickSize, b.instrument.tickSize)
        check("stepSize", a.instrument.stepSize, b.instrument.stepSize)
        check("minQty", a.instrument.minQuantity, b.instrument.minQuantity)
        check("maxQty", a.instrument.maxQuantity, b.instrument.maxQuantity)
        check("minNotional", a.instrument.minNotional, b.instrument.minNotional)
        check("status", a.status.rawValue, b.status.rawValue)
        check("contractSize", a.contractSize, b.contractSize)
        check("unified", a.unified.description, b.unified.description)
        return out
    }
}
