#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time as nanoseconds since the Unix epoch. Use for event and exchange timestamps, never for
/// measuring latency (see `MonotonicInstant`).
@frozen
public struct UnixNanos: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var value: Int64
    @inlinable public init(_ value: Int64) { self.value = value }
    /// From exchange milliseconds.
    @inlinable public init(millis: Int64) { self.value = millis &* 1_000_000 }
    @inlinable public var millis: Int64 { value / 1_000_000 }
    @inlinable public static func < (l: UnixNanos, r: UnixNanos) -> Bool { l.value < r.value }
    public var description: String { "\(value)ns" }

    /// Current wall-clock time.
    public static func now() -> UnixNanos {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UnixNanos(Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}

/// A monotonic instant in nanoseconds, for latency and staleness measurement.
@frozen
public struct MonotonicInstant: Hashable, Comparable, Sendable, BitwiseCopyable {
    public var nanos: Int64
    @inlinable public init(nanos: Int64) { self.nanos = nanos }
    @inlinable public static func < (l: MonotonicInstant, r: MonotonicInstant) -> Bool { l.nanos < r.nanos }

    /// Current monotonic time.
    public static func now() -> MonotonicInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicInstant(nanos: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    /// Nanoseconds from `earlier` to `self`.
    @inlinable public func nanos(since earlier: MonotonicInstant) -> Int64 { nanos - earlier.nanos }
}
