/// Division by a fixed positive divisor for dividends that are expected to be exact multiples.
///
/// Uses the odd part's multiplicative inverse modulo 2^64 and a shift, so converting a price to ticks costs
/// a shift and two multiplies instead of a hardware divide; a dividend that is not a multiple is detected.
@frozen
public struct ExactDivisor: Hashable, Sendable, BitwiseCopyable {
    /// The divisor.
    public let divisor: Int64
    @usableFromInline let shift: UInt64
    @usableFromInline let inverse: UInt64

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
    }

    /// `value / divisor` when `value` is an exact multiple of the divisor, otherwise `nil`.
    @inlinable
    public func divide(_ value: Int64) -> Int64? {
        let m = value.magnitude
        let q = (m >> shift) &* inverse
        let (product, overflow) = q.multipliedReportingOverflow(by: UInt64(divisor))
        guard !overflow, product == m, q <= UInt64(Int64.max) else { return nil }
        return value < 0 ? -Int64(q) : Int64(q)
    }
}
