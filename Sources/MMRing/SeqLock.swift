import Synchronization

/// Publishes a small value from one writer thread to any number of reader threads without locks.
///
/// The writer bumps a sequence number to odd, stores the value as relaxed atomic words, and bumps it to
/// even; a reader retries while the sequence is odd or changed during its copy. Readers never block the
/// writer. Storing the payload as atomic words keeps the concurrent copy free of data races.
public final class SeqLock<Value: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let sequence: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let words: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let wordCount: Int

    /// Creates a seqlock holding `initial`.
    public init(_ initial: Value) {
        wordCount = max(1, (MemoryLayout<Value>.size + 7) / 8)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128 + wordCount * 8, alignment: 128)
        sequence = raw.bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        sequence.initialize(to: Atomic(0))
        words = (raw + 64).bindMemory(to: Atomic<UInt64>.self, capacity: wordCount)
        for i in 0..<wordCount { (words + i).initialize(to: Atomic(0)) }
        store(initial)
    }

    deinit { UnsafeMutableRawPointer(sequence).deallocate() }

    /// Publishes a new value. Only one thread may write.
    @inlinable
    public func store(_ value: Value) {
        let s = sequence.pointee.load(ordering: .relaxed)
        sequence.pointee.store(s &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        withUnsafeBytes(of: value) { src in
            let size = src.count
            var i = 0
            while i < wordCount {
                var w: UInt64 = 0
                let n = min(8, size - i * 8)
                withUnsafeMutableBytes(of: &w) { dst in
                    dst.baseAddress!.copyMemory(from: src.baseAddress! + i * 8, byteCount: n)
                }
                words[i].store(w, ordering: .relaxed)
                i += 1
            }
        }
        sequence.pointee.store(s &+ 2, ordering: .releasing)
    }

    /// Reads a consistent copy of the latest value, retrying while a write is in progress.
    @inlinable
    public func load() -> Value {
        while true {
            if let v = tryLoad() { return v }
        }
    }

    /// One attempt to read a consistent copy; `nil` if a write overlapped it.
    @inlinable
    public func tryLoad() -> Value? {
        let s0 = sequence.pointee.load(ordering: .acquiring)
        if s0 & 1 == 1 { return nil }
        let size = MemoryLayout<Value>.size
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: wordCount) { tmp -> Value? in
            for i in 0..<wordCount { tmp[i] = words[i].load(ordering: .relaxed) }
            atomicMemoryFence(ordering: .acquiring)
            let s1 = sequence.pointee.load(ordering: .relaxed)
            if s0 != s1 { return nil }
            _ = size
            return UnsafeRawPointer(tmp.baseAddress!).loadUnaligned(as: Value.self)
        }
    }

    /// Number of completed writes.
    public var version: UInt64 { sequence.pointee.load(ordering: .acquiring) / 2 }
}
