/// Division by a fixed positive divisor for dividends that are expected to be exact multiples.
///
/// With `divisor = odd × 2^shift`, a multiple's quotient is `(value >> shift) × odd⁻¹ mod 2^64`, and a
/// value is a multiple exactly when its low `shift` bits are zero and that product is at most
/// `UInt64.max / odd` (any other product, times `odd`, would not fit in 64 bits). So converting a price to
/// ticks costs a mask test, a shift, one multiply and a compare instead of a hardware divide.
@frozen
public struct ExactDivisor: Hashable, Sendable, BitwiseCopyable {
    /// The divisor.
    public let divisor: Int64
    @usableFromInline let shift: UInt64
    @usableFromInline let inverse: UInt64
    /// `2^shift - 1`: bits a multiple has clear.
    @usableFromInline let lowMask: UInt64
    /// `UInt64.max / odd`: the largest quotient of a multiple.
    @usableFromInline let limit: UInt64

    /// Creates a divisor; `divisor` must be positive.
    public init(_ divisor: Int64) {
        precondition(divisor > 0, "ExactDivisor needs a positive divisor")
        self.divisor = divisor
        let tz = UInt64(divisor.trailingZeroBitCount)
        let odd = UInt64(divisor) >> tz
        // Newton iteration: each step doubles the number of correct low bits (3 -> 6 -> 12 -> 24 -> 48 -> 96).
        var inv = odd
        for _ in 0..<5 { inv = inv &* (2 &- odd &* inv) }
        self.shift = tz
        self.inverse = inv
        self.lowMask = (1 << tz) - 1
        self.limit = UInt64.max / odd
    }

    /// `value / divisor` when `value` is an exact multiple of the divisor, otherwise `nil`.
    @inlinable
    public func divide(_ value: Int64) -> Int64? {
        let m = value.magnitude
        let q = (m &>> shift) &* inverse
        guard m & lowMask == 0, q <= limit, q <= UInt64(Int64.max) else { return nil }
        return value < 0 ? -Int64(q) : Int64(q)
    }

    /// `value / divisor` for a `value >= 0` that is an exact multiple of the divisor, otherwise `nil`.
    @inlinable @inline(always)
    public func divideNonNegative(_ value: Int64) -> Int64? {
        let m = UInt64(bitPattern: value)
        let q = (m &>> shift) &* inverse
        guard m & lowMask == 0, q <= limit else { return nil }
        // q <= m < 2^63.
        return Int64(bitPattern: q)
    }
}
