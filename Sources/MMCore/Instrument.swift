/// A dimensionless fixed-point ratio (percent-price multipliers, fee rates).
@frozen
public struct Ratio: FixedPoint {
    public var raw: Int64
    @inlinable public init(raw: Int64) { self.raw = raw }
}

/// A price and quantity grid with divide-free conversion to ticks and lots.
@frozen
public struct Grid: Hashable, Sendable {
    public let tickSize: Price
    public let stepSize: Quantity
    public let tickDivisor: ExactDivisor
    public let stepDivisor: ExactDivisor

    /// A grid of `tickSize` × `stepSize`; both must be positive.
    public init(tickSize: Price, stepSize: Quantity) {
        precondition(tickSize.raw > 0 && stepSize.raw > 0, "grid sizes must be positive")
        self.tickSize = tickSize
        self.stepSize = stepSize
        tickDivisor = ExactDivisor(tickSize.raw)
        stepDivisor = ExactDivisor(stepSize.raw)
    }

    /// The price as ticks, or `nil` when off the grid.
    @inlinable public func ticks(_ price: Price) -> Ticks? { tickDivisor.divide(price.raw).map(Ticks.init) }
    /// The quantity as lots, or `nil` when off the grid.
    @inlinable public func lots(_ quantity: Quantity) -> Lots? { stepDivisor.divide(quantity.raw).map(Lots.init) }
    /// The price of a tick index.
    @inlinable public func price(_ ticks: Ticks) -> Price { Price(raw: ticks.value &* tickSize.raw) }
    /// The quantity of a lot count.
    @inlinable public func quantity(_ lots: Lots) -> Quantity { Quantity(raw: lots.value &* stepSize.raw) }

    /// A book level in grid units, or `nil` when the price or size is negative or off the grid.
    @inlinable
    public func units(_ price: Price, _ quantity: Quantity) -> (ticks: Int64, lots: Int64)? {
        guard price.raw >= 0, quantity.raw >= 0, let t = tickDivisor.divideNonNegative(price.raw),
            let l = stepDivisor.divideNonNegative(quantity.raw)
        else { return nil }
        return (t, l)
    }

    /// Fraction digits needed to print any price on this grid.
    public var priceFractionDigits: Int { Instrument.fractionDigits(of: tickSize.raw) }
    /// Fraction digits needed to print any quantity on this grid.
    public var quantityFractionDigits: Int { Instrument.fractionDigits(of: stepSize.raw) }
}

/// Why an instrument definition was refused.
public enum InstrumentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field's text is not an exact decimal at the 1e-8 scale.
    case badNumber(field: String, text: String, DecimalError)
    /// A field that must be positive is not.
    case notPositive(field: String, value: String)
    /// A bound is not on the grid it belongs to (e.g. minQty not a multiple of stepSize).
    case offGrid(field: String, value: String, grid: String)
    /// A required filter or field is absent.
    case missing(field: String)

    public var description: String {
        switch self {
        case .badNumber(let field, let text, let error):
            return "\(field) \"\(text)\" is not exact at 8 decimal places: \(error)"
        case .notPositive(let field, let value):
            return "\(field) must be positive, got \(value)"
        case .offGrid(let field, let value, let grid):
            return "\(field) \(value) is not a multiple of \(grid)"
        case .missing(let field):
            return "missing \(field)"
        }
    }
}

/// A tradable contract and its exchange filters (Binance PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL, PERCENT_PRICE).
public struct Instrument: Hashable, Sendable {
    public var id: InstrumentID
    public var symbol: Symbol
    /// PRICE_FILTER.tickSize.
    public let tickSize: Price
    /// LOT_SIZE.stepSize.
    public let stepSize: Quantity
    /// PRICE_FILTER.minPrice / maxPrice (zero means unbounded on Binance).
    public var minPrice: Price
    public var maxPrice: Price
    /// LOT_SIZE.minQty / maxQty.
    public var minQuantity: Quantity
    public var maxQuantity: Quantity
    /// MIN_NOTIONAL.notional.
    public var minNotional: Notional
    /// PERCENT_PRICE.multiplierUp / multiplierDown (nil when the filter is absent).
    public var percentPriceUp: Ratio?
    public var percentPriceDown: Ratio?
    /// Converts prices to ticks and quantities to lots without a hardware divide.
    public let tickDivisor: ExactDivisor
    public let stepDivisor: ExactDivisor
    /// The grid of market data: `10^-pricePrecision` × `10^-quantityPrecision` when those are finer than
    /// tick and step. Binance keeps resting orders placed before a tick-size change at the old, finer
    /// precision (seen in real CTKUSDT depth), so the book must hold prices that orders may no longer use.
    public let bookGrid: Grid

    /// Creates an instrument, refusing a non-positive tick or step and bounds off their grids.
    public init(
        id: InstrumentID = InstrumentID(0), symbol: Symbol, tickSize: Price, stepSize: Quantity,
        minPrice: Price = .zero, maxPrice: Price = .zero, minQuantity: Quantity? = nil, maxQuantity: Quantity = .zero,
        minNotional: Notional = .zero, percentPriceUp: Ratio? = nil, percentPriceDown: Ratio? = nil,
        pricePrecision: Int? = nil, quantityPrecision: Int? = nil
    ) throws(InstrumentError) {
        guard tickSize.raw > 0 else { throw .notPositive(field: "tickSize", value: tickSize.description) }
        guard stepSize.raw > 0 else { throw .notPositive(field: "stepSize", value: stepSize.description) }
        let minQ = minQuantity ?? stepSize
        guard minQ.raw % stepSize.raw == 0 else {
            throw .offGrid(field: "minQty", value: minQ.description, grid: stepSize.description)
        }
        guard minPrice.raw % tickSize.raw == 0 else {
            throw .offGrid(field: "minPrice", value: minPrice.description, grid: tickSize.description)
        }
        self.id = id
        self.symbol = symbol
        self.tickSize = tickSize
        self.stepSize = stepSize
        self.minPrice = minPrice
        self.maxPrice = maxPrice
        self.minQuantity = minQ
        self.maxQuantity = maxQuantity
        self.minNotional = minNotional
        self.percentPriceUp = percentPriceUp
        self.percentPriceDown = percentPriceDown
        self.tickDivisor = ExactDivisor(tickSize.raw)
        self.stepDivisor = ExactDivisor(stepSize.raw)
        self.bookGrid = Grid(
            tickSize: Instrument.finer(tickSize, precision: pricePrecision),
            stepSize: Instrument.finer(stepSize, precision: quantityPrecision))
    }

    /// `10^-precision` when it is finer than `size` and divides it, else `size`.
    static func finer<T: FixedPoint>(_ size: T, precision: Int?) -> T {
        guard let p = precision, p >= 0, p <= FixedPointScale.fractionDigits else { return size }
        var unit: Int64 = FixedPointScale.unit
        for _ in 0..<p { unit /= 10 }
        return unit < size.raw && size.raw % unit == 0 ? T(raw: unit) : size
    }

    /// Creates an instrument from the decimal strings of Binance's exchangeInfo filters.
    public init(
        id: InstrumentID = InstrumentID(0), symbol: Symbol, tickSize: String, stepSize: String,
        minPrice: String = "0", maxPrice: String = "0", minQuantity: String? = nil, maxQuantity: String = "0",
        minNotional: String = "0", percentPriceUp: String? = nil, percentPriceDown: String? = nil,
        pricePrecision: Int? = nil, quantityPrecision: Int? = nil
    ) throws(InstrumentError) {
        func parse<T: FixedPoint>(_ field: String, _ text: String, as: T.Type) throws(InstrumentError) -> T {
            do throws(DecimalError) { return try T(parsing: text) } catch { throw .badNumber(field: field, text: text, error) }
        }
        try self.init(
            id: id, symbol: symbol,
            tickSize: parse("tickSize", tickSize, as: Price.self),
            stepSize: parse("stepSize", stepSize, as: Quantity.self),
            minPrice: parse("minPrice", minPrice, as: Price.self),
            maxPrice: parse("maxPrice", maxPrice, as: Price.self),
            minQuantity: minQuantity.map { (t) throws(InstrumentError) in try parse("minQty", t, as: Quantity.self) },
            maxQuantity: parse("maxQty", maxQuantity, as: Quantity.self),
            minNotional: parse("notional", minNotional, as: Notional.self),
            percentPriceUp: percentPriceUp.map { (t) throws(InstrumentError) in try parse("multiplierUp", t, as: Ratio.self) },
            percentPriceDown: percentPriceDown.map { (t) throws(InstrumentError) in try parse("multiplierDown", t, as: Ratio.self) },
            pricePrecision: pricePrecision, quantityPrecision: quantityPrecision
        )
    }

    /// A grid of one raw unit (1e-8) for symbols whose filters are unknown: every valid price is on it.
    public static func unitGrid(symbol: Symbol, id: InstrumentID = InstrumentID(0)) -> Instrument {
        // Force-try is safe: one raw unit is positive and on its own grid.
        try! Instrument(id: id, symbol: symbol, tickSize: Price(raw: 1), stepSize: Quantity(raw: 1))
    }

    /// The price as ticks, or `nil` when it is not on the tick grid.
    @inlinable public func ticks(_ price: Price) -> Ticks? { tickDivisor.divide(price.raw).map(Ticks.init) }
    /// The quantity as lots, or `nil` when it is not on the step grid.
    @inlinable public func lots(_ quantity: Quantity) -> Lots? { stepDivisor.divide(quantity.raw).map(Lots.init) }
    /// The price of a tick index.
    @inlinable public func price(_ ticks: Ticks) -> Price { Price(raw: ticks.value &* tickSize.raw) }
    /// The quantity of a lot count.
    @inlinable public func quantity(_ lots: Lots) -> Quantity { Quantity(raw: lots.value &* stepSize.raw) }

    /// Rounds a price to the tick grid: bids down, asks up, so a rounded quote is never more aggressive.
    @inlinable
    public func roundPrice(_ price: Price, for side: Side) -> Price {
        let t = tickSize.raw
        var q = price.raw / t
        let r = price.raw % t
        if r != 0 {
            if side == .buy && price.raw < 0 { q -= 1 }
            if side == .sell && price.raw > 0 { q += 1 }
        }
        return Price(raw: q * t)
    }

    /// Rounds a quantity down to the step grid.
    @inlinable
    public func roundQuantityDown(_ quantity: Quantity) -> Quantity {
        Quantity(raw: (quantity.raw / stepSize.raw) * stepSize.raw)
    }

    /// True when `price × quantity` meets MIN_NOTIONAL, compared exactly.
    @inlinable
    public func meetsMinNotional(price: Price, quantity: Quantity) -> Bool {
        minNotional.isCovered(by: price, quantity)
    }

    /// Number of fraction digits needed to print any price on the tick grid.
    public var priceFractionDigits: Int { Instrument.fractionDigits(of: tickSize.raw) }
    /// Number of fraction digits needed to print any quantity on the step grid.
    public var quantityFractionDigits: Int { Instrument.fractionDigits(of: stepSize.raw) }

    static func fractionDigits(of raw: Int64) -> Int {
        var digits = FixedPointScale.fractionDigits
        var v = raw
        while digits > 0 && v % 10 == 0 {
            v /= 10
            digits -= 1
        }
        return digits
    }
}
