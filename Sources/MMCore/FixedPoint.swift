/// A signed decimal stored as an `Int64` count of `10^-8` units (see `FixedPointScale`).
public protocol FixedPoint: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The value in `10^-8` units.
    var raw: Int64 { get }
    /// Wraps a value already in `10^-8` units.
    init(raw: Int64)
}

extension FixedPoint {
    /// Zero.
    @inlinable public static var zero: Self { Self(raw: 0) }

    /// A whole number of units, e.g. `Price(units: 5)` is 5.0.
    @inlinable public init(units: Int64) { self.init(raw: units * FixedPointScale.unit) }

    public init(integerLiteral value: Int64) { self.init(units: value) }

    /// Parses plain ASCII decimal text such as `"63943.90"`; exponents, excess digits and overflow are errors.
    @inlinable
    public init(parsing bytes: UnsafeRawBufferPointer) throws(DecimalError) {
        self.init(raw: try DecimalCodec.parse(bytes))
    }

    /// Parses plain decimal text such as `"63943.90"`; exponents, excess digits and overflow are errors.
    public init(parsing text: some StringProtocol) throws(DecimalError) {
        self.init(raw: try DecimalCodec.parse(text))
    }

    /// Parses decimal text, returning `nil` on any error.
    public init?(_ text: some StringProtocol) {
        guard let raw = try? DecimalCodec.parse(text) else { return nil }
        self.init(raw: raw)
    }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.raw < rhs.raw }

    /// Exact decimal text with no trailing fraction zeros ("63943.9", "0.001", "5").
    public var description: String { DecimalCodec.format(raw) }

    /// Exact decimal text padded to at least `minFractionDigits` fraction digits ("63943.90").
    public func formatted(minFractionDigits: Int) -> String {
        DecimalCodec.format(raw, minFractionDigits: minFractionDigits)
    }

    @inlinable public var isZero: Bool { raw == 0 }
    @inlinable public var isNegative: Bool { raw < 0 }

    @inlinable public static func + (lhs: Self, rhs: Self) -> Self { Self(raw: lhs.raw + rhs.raw) }
    @inlinable public static func - (lhs: Self, rhs: Self) -> Self { Self(raw: lhs.raw - rhs.raw) }
    @inlinable public static prefix func - (value: Self) -> Self { Self(raw: -value.raw) }
    @inlinable public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }
    @inlinable public static func -= (lhs: inout Self, rhs: Self) { lhs = lhs - rhs }

    /// `self + other`, held at the ends of the `Int64` range instead of trapping (for running totals fed by
    /// venue input).
    @inlinable public func clampedAdding(_ other: Self) -> Self {
        let (sum, overflow) = raw.addingReportingOverflow(other.raw)
        return overflow ? Self(raw: other.raw > 0 ? .max : .min) : Self(raw: sum)
    }

    /// `self - other`, held at the ends of the `Int64` range instead of trapping.
    @inlinable public func clampedSubtracting(_ other: Self) -> Self {
        let (difference, overflow) = raw.subtractingReportingOverflow(other.raw)
        return overflow ? Self(raw: other.raw < 0 ? .max : .min) : Self(raw: difference)
    }

    /// |self|, held at `Int64.max` for `Int64.min`.
    @inlinable public var clampedMagnitude: Self { Self(raw: Int64(clamping: raw.magnitude)) }
}

/// A price in quote currency per unit of base asset.
@frozen
public struct Price: FixedPoint {
    public var raw: Int64
    @inlinable public init(raw: Int64) { self.raw = raw }
}

/// A quantity of base asset (contracts for USDⓈ-M futures).
@frozen
public struct Quantity: FixedPoint {
    public var raw: Int64
    @inlinable public init(raw: Int64) { self.raw = raw }
}

/// An amount of quote currency (price × quantity, PnL, fees, balances).
@frozen
public struct Notional: FixedPoint {
    public var raw: Int64
    @inlinable public init(raw: Int64) { self.raw = raw }

    /// The exact product `price × quantity` in 128-bit arithmetic, as a count of `10^-16` units.
    @inlinable
    public static func exactProduct(_ price: Price, _ quantity: Quantity) -> Int128 {
        Int128(price.raw) * Int128(quantity.raw)
    }

    /// `price × quantity` rounded toward negative infinity to the scale; `nil` if it does not fit.
    @inlinable
    public init?(price: Price, quantity: Quantity) {
        let product = Notional.exactProduct(price, quantity)
        let unit = Int128(FixedPointScale.unit)
        var q = product / unit
        if product % unit != 0 && product < 0 { q -= 1 }
        guard let raw = Int64(exactly: q) else { return nil }
        self.init(raw: raw)
    }

    /// True when `price × quantity` is at least this notional, compared exactly.
    @inlinable
    public func isCovered(by price: Price, _ quantity: Quantity) -> Bool {
        Notional.exactProduct(price, quantity) >= Int128(raw) * Int128(FixedPointScale.unit)
    }
}
