import MMBook
import MMCore
import Testing

/// A diff touching one bid level (ticks = u, so each diff leaves a trace) unless levels are given.
func diff(_ U: Int64, _ u: Int64, _ pu: Int64, bid: (String, String)? = nil) -> DepthUpdate {
    var d = DepthUpdate(levelCapacity: 4)
    d.symbol = Symbol("BTCUSDT")!
    d.firstUpdateID = U
    d.finalUpdateID = u
    d.prevFinalUpdateID = pu
    let level = bid ?? ("\(u).0", "1")
    d.bids.append(PriceLevel(price: Price(level.0)!, quantity: Quantity(level.1)!))
    return d
}

func snapshot(_ lastUpdateID: Int64) -> DepthSnapshot {
    var s = DepthSnapshot(levelCapacity: 4)
    s.lastUpdateID = lastUpdateID
    s.bids.append(PriceLevel(price: Price("50.0")!, quantity: Quantity("2")!))
    s.asks.append(PriceLevel(price: Price("100000.0")!, quantity: Quantity("3")!))
    return s
}

@Suite("Binance book synchronisation")
struct SequencerTests {
    let instrument = try! Instrument(symbol: Symbol("BTCUSDT")!, tickSize: "0.10", stepSize: "0.001")

    @Test func earlyDiffsAreBufferedThenBridged() {
        var book = SyncedBook(instrument: instrument)
        #expect(book.onDiff(diff(90, 95, 85)) == .buffered(requestSnapshot: true))
        #expect(book.onDiff(diff(96, 105, 95)) == .buffered(requestSnapshot: false))
        #expect(book.onDiff(diff(106, 110, 105)) == .buffered(requestSnapshot: false))
        #expect(!book.isSynced)
        var seen: [Int64] = []
        #expect(book.onSnapshot(snapshot(100)) { seen.append($0.lastUpdateID) } == .synced)
        #expect(seen == [105, 110])
        #expect(book.isSynced)
        #expect(book.counters.buffered == 3)
        #expect(book.counters.droppedBeforeSnapshot == 1)
        #expect(book.counters.applied == 2)
        #expect(book.book.lastUpdateID == 110)
        #expect(book.book.lots(.bid, at: Ticks(950)) == Lots(0), "the diff older than the snapshot was not applied")
        #expect(book.book.lots(.bid, at: Ticks(1050)) == Lots(1000))
        #expect(book.onDiff(diff(111, 120, 110)) == .applied)
    }

    @Test("U == lastUpdateId bridges")
    func firstEqualsSnapshot() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onDiff(diff(95, 99, 90))
        #expect(book.onSnapshot(snapshot(100)) == .bridging)
        #expect(!book.isSynced, "a loaded snapshot is not in sync until a diff spans it")
        #expect(book.onDiff(diff(100, 104, 99)) == .applied)
        #expect(book.isSynced)
    }

    @Test("u == lastUpdateId bridges")
    func lastEqualsSnapshot() {
        var book = SyncedBook(instrument: instrument)
        #expect(book.onSnapshot(snapshot(100)) == .bridging)
        #expect(book.onDiff(diff(97, 100, 96)) == .applied)
        #expect(book.onDiff(diff(101, 103, 100)) == .applied)
        #expect(book.isSynced)
    }

    @Test func diffsOlderThanSnapshotAreDropped() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onSnapshot(snapshot(100))
        #expect(book.onDiff(diff(90, 99, 89)) == .dropped(.olderThanSnapshot))
        #expect(!book.isSynced)
    }

    @Test func gapMakesTheBookStaleUntilANewSnapshot() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onSnapshot(snapshot(100))
        _ = book.onDiff(diff(98, 110, 97))
        #expect(book.isSynced)
        // The diff ending at 113 never arrived.
        #expect(book.onDiff(diff(115, 120, 113)) == .resync(.gap(lastUpdateID: 110, prevFinalUpdateID: 113)))
        #expect(!book.isSynced)
        #expect(!book.topOfBook.isSynced)
        #expect(book.book.bestBid == nil, "a stale book is cleared, never quoted on")
        #expect(book.counters.gaps == 1 && book.counters.resyncs == 1)
        #expect(book.onDiff(diff(121, 125, 120)) == .buffered(requestSnapshot: false), "snapshot already requested")
        #expect(book.pending == 2)
        #expect(book.onSnapshot(snapshot(118)) == .synced)
        #expect(book.book.lastUpdateID == 125)
    }

    @Test func staleSnapshotIsRefusedAndDiffsKept() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onDiff(diff(200, 205, 199))
        _ = book.onDiff(diff(206, 210, 205))
        #expect(book.onSnapshot(snapshot(150)) == .tooOld)
        #expect(!book.isSynced)
        #expect(book.pending == 2, "diffs wait for a newer snapshot")
        #expect(book.counters.resyncs == 1)
        #expect(book.sequencer.snapshotRequested)
        #expect(book.onSnapshot(snapshot(207)) == .synced)
        #expect(book.book.lastUpdateID == 210)
    }

    @Test func duplicateDiffIsDroppedWithoutResync() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onSnapshot(snapshot(100))
        _ = book.onDiff(diff(98, 105, 97))
        _ = book.onDiff(diff(106, 110, 105))
        #expect(book.onDiff(diff(106, 110, 105)) == .dropped(.duplicate))
        #expect(book.isSynced)
        #expect(book.counters.duplicates == 1 && book.counters.gaps == 0)
        #expect(book.onDiff(diff(111, 112, 110)) == .applied)
    }

    @Test("a snapshot between two diffs (pu ≤ lastUpdateId < U) is bridged")
    func snapshotInAHole() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onSnapshot(snapshot(100))
        #expect(book.onDiff(diff(103, 108, 99)) == .applied)
    }

    @Test func streamsWithoutPuUseContiguousIDs() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onSnapshot(snapshot(100))
        #expect(book.onDiff(diff(99, 101, unknownUpdateID)) == .applied)
        #expect(book.onDiff(diff(102, 104, unknownUpdateID)) == .applied)
        #expect(book.onDiff(diff(106, 107, unknownUpdateID)) == .resync(.gap(lastUpdateID: 104, prevFinalUpdateID: 106)))
    }

    /// Binance spot's procedure: buffered events up to the snapshot's `lastUpdateId` are dropped, the first
    /// applied may start right after it, and a snapshot older than the first event is fetched again.
    @Test func spotBridgesASnapshotAsBinanceSpotDocumentsIt() {
        var exact = SyncedBook(instrument: instrument)
        _ = exact.onSnapshot(snapshot(100))
        #expect(exact.onDiff(diff(95, 100, unknownUpdateID)) == .dropped(.olderThanSnapshot), "u ≤ lastUpdateId is in the snapshot")
        #expect(exact.onDiff(diff(101, 103, unknownUpdateID)) == .applied, "U = lastUpdateId + 1 continues it")
        #expect(exact.onDiff(diff(104, 104, unknownUpdateID)) == .applied)
        #expect(exact.isSynced)

        var stale = SyncedBook(instrument: instrument)
        _ = stale.onSnapshot(snapshot(100))
        #expect(stale.onDiff(diff(102, 105, unknownUpdateID)) == .resync(.snapshotTooOld(snapshotID: 100, firstUpdateID: 102)))
        #expect(!stale.isSynced)
    }

    @Test func snapshotWhileSyncedIsIgnored() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onSnapshot(snapshot(100))
        _ = book.onDiff(diff(98, 105, 97))
        #expect(book.onSnapshot(snapshot(103)) == .ignored)
        #expect(book.book.lastUpdateID == 105)
    }

    @Test func boundedBufferDropsOldest() {
        var book = SyncedBook(instrument: instrument, maxPending: 3)
        for i in 0..<5 { _ = book.onDiff(diff(Int64(10 * i + 1), Int64(10 * i + 10), Int64(10 * i))) }
        #expect(book.pending == 3)
        #expect(book.counters.bufferOverflows == 2)
        #expect(book.onSnapshot(snapshot(25)) == .synced)
        #expect(book.book.lastUpdateID == 50)
    }

    @Test func invalidateOnReconnect() {
        var book = SyncedBook(instrument: instrument)
        _ = book.onSnapshot(snapshot(100))
        _ = book.onDiff(diff(98, 105, 97))
        book.invalidate()
        #expect(!book.isSynced)
        #expect(book.onDiff(diff(106, 110, 105)) == .buffered(requestSnapshot: true))
    }

    @Test func sequencerRequestsOneSnapshotAtATime() {
        var s = BookSequencer()
        #expect(s.onDiff(firstUpdateID: 1, finalUpdateID: 2, prevFinalUpdateID: 0) == .buffer(requestSnapshot: true))
        #expect(s.onDiff(firstUpdateID: 3, finalUpdateID: 4, prevFinalUpdateID: 2) == .buffer(requestSnapshot: false))
        s.snapshotRequestFailed()
        #expect(s.onDiff(firstUpdateID: 5, finalUpdateID: 6, prevFinalUpdateID: 4) == .buffer(requestSnapshot: true))
        #expect(s.onSnapshot(lastUpdateID: 4) == .load)
        #expect(s.state == .bridging(snapshotID: 4))
    }
}
