import MMCore

/// Counts of what happened to a book's input, for metrics and replay reports.
public struct SyncCounters: Sendable, Equatable {
    /// Diffs received.
    public var diffs = 0
    /// Diffs applied to the book.
    public var applied = 0
    /// Diffs buffered while awaiting a snapshot.
    public var buffered = 0
    /// Diffs dropped as already contained in the snapshot.
    public var droppedBeforeSnapshot = 0
    /// Diffs dropped as re-deliveries.
    public var duplicates = 0
    /// Sequence breaks in the diff stream (`pu` not continuing `u`).
    public var gaps = 0
    /// Times the book went stale and a new snapshot was needed (gaps, snapshots too old, overflow).
    public var resyncs = 0
    /// Snapshots loaded into the book.
    public var snapshotsLoaded = 0
    /// Snapshots not needed because the book was in sync.
    public var snapshotsIgnored = 0
    /// Diffs discarded because the pending buffer was full.
    public var bufferOverflows = 0
    public init() {}
}

/// An order book with its sequencer and pending-diff buffer: feed it diffs and snapshots in arrival order
/// and it keeps the book exact or marks it stale.
public struct SyncedBook: Sendable {
    public private(set) var book: OrderBook
    public private(set) var sequencer = BookSequencer()
    public private(set) var counters = SyncCounters()
    /// Pending diffs live in preallocated slots so buffering reuses storage.
    private var slots: [DepthUpdate]
    private var pendingCount = 0
    /// Most diffs kept while awaiting a snapshot; older ones are discarded beyond it.
    public let maxPending: Int

    /// Creates a stale, empty book for `instrument`.
    public init(instrument: Instrument, levelCapacity: Int = OrderBook.defaultLevelCapacity, maxPending: Int = 4096) {
        book = OrderBook(instrument: instrument, levelCapacity: levelCapacity)
        self.maxPending = maxPending
        slots = (0..<16).map { _ in DepthUpdate(levelCapacity: 64) }
    }

    /// True only when the book may be quoted on.
    @inlinable public var isSynced: Bool { sequencer.isSynced }

    /// Number of diffs waiting for a snapshot.
    public var pending: Int { pendingCount }

    /// Best bid/ask with the sync flag.
    @inlinable public var topOfBook: TopOfBook { book.topOfBook(isSynced: sequencer.isSynced) }

    /// What became of one diff.
    public enum DiffOutcome: Sendable, Equatable {
        case applied
        case buffered(requestSnapshot: Bool)
        case dropped(BookSequencer.DropReason)
        /// The book went stale; a snapshot is needed.
        case resync(BookSequencer.ResyncReason)
    }

    /// Feeds one diff.
    public mutating func onDiff(_ update: DepthUpdate) -> DiffOutcome {
        counters.diffs += 1
        return handle(update, fromBuffer: false)
    }

    /// What became of a snapshot.
    public enum SnapshotOutcome: Sendable, Equatable {
        /// Loaded and bridged by a buffered diff: the book is in sync.
        case synced
        /// Loaded; the bridging diff has not arrived yet (book still stale).
        case bridging
        /// Loaded but older than the buffered diffs: another snapshot is needed.
        case tooOld
        /// Not needed: the book was already in sync.
        case ignored
    }

    /// Feeds a snapshot; `afterEachApplied` sees the book after each buffered diff it applies.
    public mutating func onSnapshot(
        _ snapshot: DepthSnapshot, afterEachApplied: (borrowing OrderBook) -> Void = { _ in }
    ) -> SnapshotOutcome {
        guard sequencer.onSnapshot(lastUpdateID: snapshot.lastUpdateID) == .load else {
            counters.snapshotsIgnored += 1
            return .ignored
        }
        counters.snapshotsLoaded += 1
        book.replace(with: snapshot)
        // Replay the buffer; diffs that must wait for yet another snapshot are compacted to the front.
        let count = pendingCount
        pendingCount = 0
        var tooOld = false
        for i in 0..<count {
            let outcome = handle(slots[i], fromBuffer: true, slotIndex: i)
            switch outcome {
            case .applied: afterEachApplied(book)
            case .resync: tooOld = true
            default: break
            }
        }
        if sequencer.isSynced { return .synced }
        return tooOld ? .tooOld : .bridging
    }

    /// Marks the book stale (e.g. after a reconnect): clears it and the buffer.
    public mutating func invalidate() {
        sequencer.reset()
        book.clear()
        pendingCount = 0
    }

    /// The outstanding snapshot request failed; the next diff will ask again.
    public mutating func snapshotRequestFailed() { sequencer.snapshotRequestFailed() }

    private mutating func handle(_ update: DepthUpdate, fromBuffer: Bool, slotIndex: Int = -1) -> DiffOutcome {
        let action = sequencer.onDiff(
            firstUpdateID: update.firstUpdateID, finalUpdateID: update.finalUpdateID,
            prevFinalUpdateID: update.prevFinalUpdateID)
        switch action {
        case .apply:
            book.apply(update)
            counters.applied += 1
            return .applied
        case .buffer(let request):
            if !fromBuffer { counters.buffered += 1 }
            keep(update, slotIndex: slotIndex)
            return .buffered(requestSnapshot: request)
        case .drop(let reason):
            if reason == .olderThanSnapshot { counters.droppedBeforeSnapshot += 1 } else { counters.duplicates += 1 }
            return .dropped(reason)
        case .resync(let reason):
            if case .gap = reason { counters.gaps += 1 }
            counters.resyncs += 1
            book.clear()
            if !fromBuffer { pendingCount = 0 }
            keep(update, slotIndex: slotIndex)
            return .resync(reason)
        }
    }

    private mutating func keep(_ update: DepthUpdate, slotIndex: Int) {
        if slotIndex >= 0 {
            // Re-buffering during a replay: move the slot down to the compacted position.
            if slotIndex != pendingCount { slots.swapAt(slotIndex, pendingCount) }
            pendingCount += 1
            return
        }
        if pendingCount == maxPending {
            // Oldest diffs are the ones a fresh snapshot is least likely to need.
            counters.bufferOverflows += 1
            let first = slots.removeFirst()
            slots.append(first)
            pendingCount -= 1
        }
        if pendingCount == slots.count { slots.append(DepthUpdate(levelCapacity: 64)) }
        slots[pendingCount].copy(from: update)
        pendingCount += 1
    }
}
