/// Binance USDⓈ-M order-book synchronisation as a value-type state machine.
///
/// It sees only update IDs and answers what the caller must do with each diff or snapshot; the caller owns
/// the book, the buffer and the REST request. Rules (Binance "How to manage a local order book correctly"):
/// buffer diffs until a snapshot arrives; drop diffs with `u < lastUpdateId`; the first applied diff must
/// span the snapshot (`U ≤ lastUpdateId ≤ u`); every later diff must have `pu ==` the previous `u`.
/// Anything else makes the book stale and needs a new snapshot.
///
/// Two refinements: a diff with `u ≤` the last applied `u` is a harmless re-delivery and is dropped rather
/// than forcing a resync; and a bridging diff whose `pu ≤ lastUpdateId < U` is accepted, because no change
/// happened between its `pu` and `U` so the snapshot already equals the state after `pu`.
public struct BookSequencer: Sendable, Equatable {
    /// Where the book stands.
    public enum State: Sendable, Equatable {
        /// The book is stale; diffs are buffered until a snapshot arrives.
        case awaitingSnapshot
        /// The book holds a snapshot; waiting for the diff that spans it. Still stale.
        case bridging(snapshotID: Int64)
        /// The book is in sync at `lastUpdateID`.
        case synced(lastUpdateID: Int64)
    }

    /// Why a diff was ignored.
    public enum DropReason: Sendable, Equatable {
        /// `u < lastUpdateId` of the snapshot: already contained in it.
        case olderThanSnapshot
        /// `u ≤` the last applied `u`: a re-delivered or out-of-date diff.
        case duplicate
    }

    /// Why the book went stale.
    public enum ResyncReason: Sendable, Equatable {
        /// `pu` (or `U` on streams without `pu`) did not continue the last applied `u`.
        case gap(lastUpdateID: Int64, prevFinalUpdateID: Int64)
        /// The snapshot is older than the earliest diff we still have (`U > lastUpdateId`).
        case snapshotTooOld(snapshotID: Int64, firstUpdateID: Int64)
    }

    /// What to do with a diff.
    public enum DiffAction: Sendable, Equatable {
        /// Apply it; the book is (now) in sync.
        case apply
        /// Keep it until the snapshot arrives; `requestSnapshot` is true when no request is outstanding.
        case buffer(requestSnapshot: Bool)
        /// Ignore it.
        case drop(DropReason)
        /// The book is stale: clear it and the buffer, buffer this diff, and fetch a new snapshot.
        case resync(ResyncReason)
    }

    /// What to do with a snapshot.
    public enum SnapshotAction: Sendable, Equatable {
        /// Load it into the book, then pass every buffered diff, oldest first, to `onDiff`.
        case load
        /// The book is already in sync; the snapshot is not needed.
        case ignore
    }

    public private(set) var state: State = .awaitingSnapshot
    /// True while a snapshot request is outstanding.
    public private(set) var snapshotRequested = false

    public init() {}

    /// True only when the book may be quoted on.
    @inlinable public var isSynced: Bool {
        if case .synced = state { return true }
        return false
    }

    /// Decides what to do with the diff `U...u` whose predecessor ended at `pu` (`unknownUpdateID` if absent).
    public mutating func onDiff(firstUpdateID U: Int64, finalUpdateID u: Int64, prevFinalUpdateID pu: Int64) -> DiffAction {
        switch state {
        case .awaitingSnapshot:
            let request = !snapshotRequested
            snapshotRequested = true
            return .buffer(requestSnapshot: request)
        case .bridging(let snapshotID):
            if pu == unknownUpdateID {
                // Spot: events up to the snapshot are in it; the next must start no later than right after it.
                if u <= snapshotID { return .drop(.olderThanSnapshot) }
                if U <= snapshotID &+ 1 {
                    state = .synced(lastUpdateID: u)
                    return .apply
                }
                state = .awaitingSnapshot
                snapshotRequested = true
                return .resync(.snapshotTooOld(snapshotID: snapshotID, firstUpdateID: U))
            }
            if u < snapshotID { return .drop(.olderThanSnapshot) }
            if U <= snapshotID || pu <= snapshotID {
                state = .synced(lastUpdateID: u)
                return .apply
            }
            state = .awaitingSnapshot
            snapshotRequested = true
            return .resync(.snapshotTooOld(snapshotID: snapshotID, firstUpdateID: U))
        case .synced(let last):
            let continues = pu != unknownUpdateID ? pu == last : (U <= last &+ 1 && u >= last &+ 1)
            if continues {
                state = .synced(lastUpdateID: u)
                return .apply
            }
            if u <= last { return .drop(.duplicate) }
            state = .awaitingSnapshot
            snapshotRequested = true
            return .resync(.gap(lastUpdateID: last, prevFinalUpdateID: pu != unknownUpdateID ? pu : U))
        }
    }

    /// Decides what to do with a snapshot as of `lastUpdateID`.
    public mutating func onSnapshot(lastUpdateID: Int64) -> SnapshotAction {
        if case .synced = state { return .ignore }
        state = .bridging(snapshotID: lastUpdateID)
        snapshotRequested = false
        return .load
    }

    /// The snapshot request failed; the next diff asks for a new one.
    public mutating func snapshotRequestFailed() {
        snapshotRequested = false
    }

    /// Forgets everything (reconnect, unsubscribe): the book is stale until the next snapshot.
    public mutating func reset() {
        state = .awaitingSnapshot
        snapshotRequested = false
    }
}
