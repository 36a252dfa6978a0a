#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMBinance
import MMBook
import MMCore
import MMExecution
import MMRing
import MMStrategy
import Synchronization

/// The running strategy thread, whatever its model.
protocol StrategyThread: AnyObject, Sendable {
    func start()
    func stop()
    /// Swaps in a new model of the same kind at the next tick; false if the kind differs (needs a restart).
    func replace(with model: QuoterModel) -> Bool
    var counts: (ticks: Int, stale: Int, dropped: Int) { get }
    var levelChangesSeen: Int { get }
}

/// The strategy thread (specialised per model, so a tick runs the model's code directly): wakes every `interval` (and, when `requoteOnMoveBps` > 0, early on a large mid move),
/// reads the published top of book and the gateway's position from memory only, runs the quoting model and
/// hands the desired quotes to the gateway through its ring. A stale or unsynced book yields no quotes, so
/// resting orders are pulled.
final class StrategyLoop<Model: Strategy>: StrategyThread, @unchecked Sendable {
    private let interval: Int64
    private let maxBookAgeNanos: Int64
    private let requoteOnMoveBps: Double
    private let market: @Sendable () -> PublishedTop
    private let gateway: OrderGateway
    private var model: Model
    /// The tick being built (reused: building it in place avoids copying the intent around).
    private var scratch = StrategyTick(intent: QuoteIntent(), tickNanos: 0)
    private let stopFlag = Atomic<Bool>(false)
    private let tickCount = Atomic<Int>(0)
    private let staleTickCount = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)
    private let levelChangeCount = Atomic<Int>(0)
    /// The ingest thread's level changes, drained each tick (book activity between ticks).
    private let levelChanges: SPSCRing<LevelChange>?
    private var thread: PosixThread?
    /// Run on the gateway's event loop instead of a thread of its own: the tick reaches the gateway with no
    /// cross-thread wake.
    private let onGatewayLoop: Bool
    private var stopRepeating: (@Sendable () -> Void)?
    /// On the gateway's loop: the next tick's deadline and the mid at the last tick.
    private var nextNanos: Int64 = 0
    private var lastMidRaw: Int64 = 0
    /// A model handed over by a reload, taken by the strategy thread at its next tick.
    private let pendingLock = NSLockLike()
    private var pending: Model?
    private let hasPending = Atomic<Bool>(false)

    init(
        model: Model, intervalMillis: Int, maxBookAgeMillis: Int64, requoteOnMoveBps: Double, market: @escaping @Sendable () -> PublishedTop,
        gateway: OrderGateway, levelChanges: SPSCRing<LevelChange>? = nil, onGatewayLoop: Bool = false
    ) {
        self.levelChanges = levelChanges
        self.onGatewayLoop = onGatewayLoop
        self.model = model
        interval = Int64(intervalMillis) * 1_000_000
        maxBookAgeNanos = maxBookAgeMillis * 1_000_000
        self.requoteOnMoveBps = requoteOnMoveBps
        self.market = market
        self.gateway = gateway
    }

    /// Ticks run so far, ticks on a stale book, and ticks the gateway's ring had no room for.
    var counts: (ticks: Int, stale: Int, dropped: Int) {
        (tickCount.load(ordering: .relaxed), staleTickCount.load(ordering: .relaxed), droppedCount.load(ordering: .relaxed))
    }

    /// Level changes consumed from the ingest ring.
    var levelChangesSeen: Int { levelChangeCount.load(ordering: .relaxed) }

    func start() {
        if onGatewayLoop {
            nextNanos = MonotonicInstant.now().nanos
            let slice = requoteOnMoveBps > 0 ? min(interval, 20_000_000) : interval
            stopRepeating = gateway.repeatOnLoop(everyNanos: slice) { [self] in step() }
        } else {
            thread = PosixThread(name: "mm-strategy") { [self] in run() }
        }
    }

    /// Stops after the current tick and waits for the thread (or the gateway loop's run).
    func stop() {
        stopFlag.store(true, ordering: .releasing)
        thread?.join()
        thread = nil
        stopRepeating?()
        stopRepeating = nil
    }

    /// How long before a tick the strategy thread asks the gateway to warm its send path.
    static var warmLead: Int64 { 500_000 }

    /// One wake-up on the gateway's loop: a tick when its deadline has come, or earlier on a large move;
    /// the gateway's send path is run once just before, on the same thread (so no earlier wake is needed).
    private func step() {
        guard !stopFlag.load(ordering: .acquiring) else { return }
        var now = MonotonicInstant.now().nanos
        if now < nextNanos {
            guard movedFar(since: lastMidRaw) else { return }
            nextNanos = now
        }
        gateway.prepareForTick()
        tick(&lastMidRaw)
        nextNanos += interval
        now = MonotonicInstant.now().nanos
        if now - nextNanos > interval { nextNanos = now }
    }

    private func run() {
        var next = MonotonicInstant.now().nanos
        var lastMid: Int64 = 0
        let slice: Int64 = requoteOnMoveBps > 0 ? min(interval, 20_000_000) : interval
        while !stopFlag.load(ordering: .acquiring) {
            tick(&lastMid)
            next += interval
            var prepared = false
            // Sleep to the deadline in slices; wake early on a large move when configured. `warmLead` before
            // the deadline the gateway is asked to run its send path once (a cross-thread wake: earlier
            // than the tick, so that it is done when the tick comes).
            while !stopFlag.load(ordering: .acquiring) {
                let now = MonotonicInstant.now().nanos
                if now >= next { break }
                if !prepared && next - now <= Self.warmLead {
                    gateway.prepareForTick()
                    prepared = true
                }
                sleep(nanos: min(slice, prepared ? next - now : next - now - Self.warmLead))
                if movedFar(since: lastMid) {
                    next = MonotonicInstant.now().nanos
                    break
                }
            }
            let now = MonotonicInstant.now().nanos
            if now - next > interval { next = now }  // fell behind: do not burst to catch up
        }
    }

    /// Whether the mid has moved `requoteOnMoveBps` or more since `lastMid` (never when that is off).
    private func movedFar(since lastMid: Int64) -> Bool {
        guard requoteOnMoveBps > 0, lastMid > 0, let mid = market().top.mid?.raw else { return false }
        return Double((mid - lastMid).magnitude) * 10_000 >= requoteOnMoveBps * Double(lastMid)
    }

    func replace(with model: QuoterModel) -> Bool {
        let next: Model?
        switch model {
        case .fixedSpread(let q): next = q as? Model
        case .avellanedaStoikov(let q): next = q as? Model
        case .glft(let q): next = q as? Model
        case .alpha(let q): next = q as? Model
        }
        guard let next else { return false }
        pendingLock.withLock { pending = next }
        hasPending.store(true, ordering: .releasing)
        return true
    }

    private func tick(_ lastMid: inout Int64) {
        if hasPending.load(ordering: .acquiring) {
            pendingLock.withLock {
                if let next = pending { model = next }
                pending = nil
            }
            hasPending.store(false, ordering: .relaxed)
        }
        let now = MonotonicInstant.now().nanos
        if let ring = levelChanges {
            levelChangeCount.add(ring.drain { _ in }, ordering: .relaxed)
        }
        let p = market()
        var top = p.top
        if p.receivedNanos == 0 || now - p.receivedNanos > maxBookAgeNanos { top.isSynced = false }
        if !top.isSynced { staleTickCount.add(1, ordering: .relaxed) }
        let view = MarketView(top: top, position: gateway.state().position, nowNanos: now, signals: p.signals)
        model.quote(view, into: &scratch.intent)
        scratch.tickNanos = now
        lastMid = top.mid?.raw ?? 0
        if gateway.ticks.push(scratch) {
            gateway.wake()
        } else {
            droppedCount.add(1, ordering: .relaxed)
        }
        tickCount.add(1, ordering: .relaxed)
    }

    private func sleep(nanos: Int64) {
        var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
