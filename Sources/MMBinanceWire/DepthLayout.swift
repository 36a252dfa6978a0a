import CWireSIMD
import MMCore

extension MarketDecoder {
    /// The parts of the last diff the fast path read that a stream repeats byte for byte — the envelope
    /// with the stream name and event type up to `"E":`, and `,"s":"<symbol>","U":` — kept in the
    /// `MarketMessage` scratch. The next diff's are checked by comparing words instead of being parsed
    /// and validated again; a message that differs takes the full reading, which learns its parts.
    @usableFromInline
    @frozen
    struct DepthLayout: Sendable {
        /// `{"stream":"<name>","data":{"e":"depthUpdate","E":`, or the bare object's `{"e":"depthUpdate","E":`.
        @usableFromInline var head = LayoutBytes()
        /// Whether `head` opened the combined-stream envelope (whose `}` closes the message).
        @usableFromInline var enveloped = false
        /// `,"s":"<symbol>","U":` and the symbol it names.
        @usableFromInline var symbolPart = LayoutBytes()
        @usableFromInline var symbol = Symbol()

        @inlinable init() {}
    }

    /// Up to 64 remembered bytes.
    @usableFromInline
    @frozen
    struct LayoutBytes: Sendable {
        @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        /// Bytes remembered; 0 when none (fewer than 8 or more than 64 are never remembered).
        @usableFromInline var count = 0

        @inlinable init() {}

        /// Remembers the `n` bytes at `start`, or nothing when `n` is not in `8...64`.
        @inlinable
        mutating func remember(_ start: UnsafePointer<UInt8>, count n: Int) {
            guard n >= 8 && n <= 64 else {
                count = 0
                return
            }
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(start: start, count: n)) }
            count = n
        }

        /// Whether the bytes at `p`, of which `readable` may be read, start with the remembered ones.
        @inlinable @inline(always)
        mutating func matches(_ p: UnsafePointer<UInt8>, readable: Int) -> Bool {
            let n = count
            guard n >= 8, readable >= n else { return false }
            return withUnsafeBytes(of: &words) { stored in
                if n >= 16 { return mm_equal_16_to_64(p, stored.baseAddress!.assumingMemoryBound(to: UInt8.self), n) }
                let a = UnsafeRawPointer(p)
                var diff: UInt64 = 0
                var i = 0
                while i &+ 8 <= n {
                    diff |= a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ stored.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    i &+= 8
                }
                // The tail as one more word overlapping the last (both copies hold the same bytes there).
                if i < n {
                    diff |= a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                        ^ stored.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                }
                return diff == 0
            }
        }
    }
}
