import MMCore

/// One market of one venue: its trading rules as an `Instrument`, the venue's name for it, its unified name
/// and assets, and whether it trades.
public struct MarketSpec: Sendable, Hashable {
    public var venue: VenueID
    public var type: MarketType
    /// The venue's own symbol (`BTCUSDT`, `QRLUSDT`, `BTC-USDT`).
    public var venueSymbol: String
    public var unified: UnifiedSymbol
    public var instrument: Instrument
    /// Base units per contract (1 for spot).
    public var contractSize: Quantity
    public var status: MarketStatus

    public var base: String { unified.base }
    public var quote: String { unified.quote }
    public var settle: String? { unified.settle }

    public init(
        venue: VenueID, type: MarketType, venueSymbol: String, unified: UnifiedSymbol, instrument: Instrument,
        contractSize: Quantity = Quantity(units: 1), status: MarketStatus = .trading
    ) {
        self.venue = venue
        self.type = type
        self.venueSymbol = venueSymbol
        self.unified = unified
        self.instrument = instrument
        self.contractSize = contractSize
        self.status = status
    }

    /// Why a venue's market was left out.
    public struct Skip: Error, Sendable, Equatable, CustomStringConvertible {
        public var venueSymbol: String
        public var reason: String
        public var description: String { "\(venueSymbol): \(reason)" }

        public init(venueSymbol: String, reason: String) {
            self.venueSymbol = venueSymbol
            self.reason = reason
        }
    }

    /// A spec from the venue's decimal strings. A tick, step or minimum finer than the engine's 8 decimals,
    /// a zero tick or step, or an unusable name is a skip with its reason, never a crash.
    public static func make(
        venue: VenueID, type: MarketType, venueSymbol: String, base: String, quote: String, settle: String? = nil,
        tickSize: String, stepSize: String, minQuantity: String? = nil, maxQuantity: String = "0", minNotional: String = "0",
        contractSize: String = "1", status: MarketStatus = .trading
    ) -> Result<MarketSpec, Skip> {
        func skip(_ reason: String) -> Result<MarketSpec, Skip> { .failure(Skip(venueSymbol: venueSymbol, reason: reason)) }
        for (field, text) in [("tickSize", tickSize), ("stepSize", stepSize), ("minQty", minQuantity ?? "0"), ("minNotional", minNotional)] {
            if let digits = Self.fractionDigits(text), digits > FixedPointScale.fractionDigits {
                return skip("\(field) \(text) is finer than 1e-\(FixedPointScale.fractionDigits)")
            }
        }
        let unified = UnifiedSymbol(base: base.uppercased(), quote: quote.uppercased(), settle: settle?.uppercased())
        guard UnifiedSymbol(unified.description) != nil else { return skip("assets \(base)/\(quote) are not a usable name") }
        guard let symbol = Symbol(String(venueSymbol.filter { $0 != "-" && $0 != "_" })) else {
            return skip("symbol \(venueSymbol) is not a usable name")
        }
        guard let size = try? Quantity(parsing: contractSize), size.raw > 0 else { return skip("contract size \(contractSize) is not positive") }
        do {
            let instrument = try Instrument(
                symbol: symbol, tickSize: tickSize, stepSize: stepSize, minQuantity: minQuantity, maxQuantity: maxQuantity,
                minNotional: minNotional)
            return .success(MarketSpec(
                venue: venue, type: type, venueSymbol: venueSymbol, unified: unified, instrument: instrument, contractSize: size,
                status: status))
        } catch {
            return skip("\(error)")
        }
    }

    /// Digits after the point of a decimal string, ignoring trailing zeros (`nil` if it is not one).
    static func fractionDigits(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !text.isEmpty else { return nil }
        guard parts.count == 2 else { return 0 }
        return parts[1].reversed().drop { $0 == "0" }.count
    }
}
