#if canImport(Glibc)
import Glibc
#endif
import MMRing
import Synchronization
import Testing

@Suite("SPSC ring and seqlock")
struct SPSCRingTests {
    @Test func capacityRoundsUpToPowerOfTwo() {
        #expect(SPSCRing<Int>(capacity: 1000).capacity == 1024)
        #expect(SPSCRing<Int>(capacity: 1).capacity == 2)
        #expect(SPSCRing<Int>(capacity: 64).capacity == 64)
    }

    @Test func fifoAndFullPolicy() {
        let ring = SPSCRing<UInt64>(capacity: 4)
        for i in 0..<4 { #expect(ring.push(UInt64(i))) }
        #expect(!ring.push(99), "a full ring refuses, never overwrites")
        #expect(ring.approximateCount == 4)
        #expect(ring.producerHighWaterMark == 4)
        for i in 0..<4 { #expect(ring.pop() == UInt64(i)) }
        #expect(ring.pop() == nil)
        // Wrap-around keeps order.
        for round in 0..<10 {
            #expect(ring.push(UInt64(round)))
            #expect(ring.pop() == UInt64(round))
        }
    }

    @Test func batchOperations() {
        let ring = SPSCRing<Int>(capacity: 8)
        let input = Array(0..<12)
        let taken = input.withUnsafeBufferPointer { ring.pushBatch($0) }
        #expect(taken == 8)
        var out = [Int](repeating: -1, count: 5)
        let n = out.withUnsafeMutableBufferPointer { ring.popBatch(into: $0) }
        #expect(n == 5 && out == [0, 1, 2, 3, 4])
        var drained: [Int] = []
        #expect(ring.drain { drained.append($0) } == 3)
        #expect(drained == [5, 6, 7])
        #expect(ring.drain { _ in } == 0)
    }

    @Test func drainLimitLeavesTheRest() {
        let ring = SPSCRing<Int>(capacity: 8)
        for i in 0..<6 { _ = ring.push(i) }
        var seen: [Int] = []
        #expect(ring.drain(limit: 4) { seen.append($0) } == 4)
        #expect(ring.pop() == 4)
    }

    @Test("two threads, 10 M items, nothing lost, repeated or reordered")
    func stress() {
        let total: UInt64 = 10_000_000
        let ring = SPSCRing<UInt64>(capacity: 1024)
        let producer = PosixThread(name: "ring-producer") {
            var chunk = [UInt64](repeating: 0, count: 64)
            var next: UInt64 = 0
            while next < total {
                let n = Int(min(64, total - next))
                for i in 0..<n { chunk[i] = next + UInt64(i) }
                var sent = 0
                while sent < n {
                    sent += chunk.withUnsafeBufferPointer { ring.pushBatch(UnsafeBufferPointer(rebasing: $0[sent..<n])) }
                    if sent < n { sched_yield() }
                }
                next += UInt64(n)
            }
        }
        let result = Mutex<(received: UInt64, outOfOrder: UInt64, sum: UInt64)>((0, 0, 0))
        let consumer = PosixThread(name: "ring-consumer") {
            var expected: UInt64 = 0
            var bad: UInt64 = 0
            var sum: UInt64 = 0
            var buffer = [UInt64](repeating: 0, count: 128)
            while expected < total {
                let n = buffer.withUnsafeMutableBufferPointer { ring.popBatch(into: $0) }
                if n == 0 {
                    sched_yield()
                    continue
                }
                for i in 0..<n {
                    if buffer[i] != expected { bad += 1 }
                    sum &+= buffer[i]
                    expected += 1
                }
            }
            result.withLock { $0 = (expected, bad, sum) }
        }
        producer.join()
        consumer.join()
        let r = result.withLock { $0 }
        #expect(r.received == total)
        #expect(r.outOfOrder == 0)
        #expect(r.sum == total * (total - 1) / 2)
        #expect(ring.pop() == nil)
    }
}

/// A value whose fields must always be seen together.
struct Triple: BitwiseCopyable, Equatable {
    var a: UInt64
    var b: UInt64
    var c: UInt64
    var d: UInt32
}

@Suite("Seqlock publication")
struct SeqLockTests {
    @Test func singleThreaded() {
        let lock = SeqLock(Triple(a: 1, b: 2, c: 3, d: 4))
        #expect(lock.load() == Triple(a: 1, b: 2, c: 3, d: 4))
        lock.store(Triple(a: 5, b: 6, c: 7, d: 8))
        #expect(lock.load() == Triple(a: 5, b: 6, c: 7, d: 8))
        #expect(lock.version == 2)
    }

    @Test("readers never see a torn value while a writer publishes")
    func noTornReads() {
        let writes: UInt64 = 1_000_000
        let lock = SeqLock(Triple(a: 0, b: 0, c: ~0, d: 0))
        let done = Atomic<Bool>(false)
        let torn = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let reader = PosixThread(name: "seqlock-reader") {
            var last: UInt64 = 0
            while !done.load(ordering: .acquiring) {
                let v = lock.load()
                if v.b != v.a &* 2 || v.c != ~v.a || v.d != UInt32(truncatingIfNeeded: v.a) || v.a < last {
                    torn.add(1, ordering: .relaxed)
                }
                last = v.a
                reads.add(1, ordering: .relaxed)
            }
        }
        for i in 1...writes {
            lock.store(Triple(a: i, b: i &* 2, c: ~i, d: UInt32(truncatingIfNeeded: i)))
        }
        done.store(true, ordering: .releasing)
        reader.join()
        #expect(torn.load(ordering: .relaxed) == 0)
        #expect(reads.load(ordering: .relaxed) > 0)
        #expect(lock.load().a == writes)
    }
}
