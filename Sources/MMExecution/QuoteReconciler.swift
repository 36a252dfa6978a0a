import MMCore
import MMStrategy

/// An order resting at the venue (or on its way there), as the engine knows it.
@frozen
public struct OpenOrder: Sendable, Hashable, BitwiseCopyable {
    public var clientOrderID: ClientOrderID
    public var side: Side
    public var price: Price
    /// Remaining (unfilled) size.
    public var remaining: Quantity

    public init(clientOrderID: ClientOrderID, side: Side, price: Price, remaining: Quantity) {
        self.clientOrderID = clientOrderID
        self.side = side
        self.price = price
        self.remaining = remaining
    }
}

/// What the gateway must do to one order.
@frozen
public enum OrderCommand: Sendable, Hashable, BitwiseCopyable {
    case place(Quote)
    case cancel(ClientOrderID)
    /// Move an open order to a new price and size (one request instead of cancel + place).
    case modify(ClientOrderID, Quote)
}

/// A fixed-capacity list, stored inline (no allocation on the tick path). Reuse one across ticks with
/// `removeAll()`: creating one writes its whole storage.
@frozen
public struct FixedList<Element: BitwiseCopyable & Sendable>: Sendable, BitwiseCopyable {
    public static var capacity: Int { 32 }
    @usableFromInline var storage: InlineArray<32, Element>
    @usableFromInline var stored = 0
    @inlinable public var count: Int { stored }

    /// An empty list; `filler` only initialises the unused slots.
    @inlinable public init(filler: Element) { storage = InlineArray(repeating: filler) }

    /// Adds an element; false (and nothing added) when full.
    @inlinable
    @discardableResult
    public mutating func append(_ e: Element) -> Bool {
        guard stored < Self.capacity else { return false }
        storage[stored] = e
        stored += 1
        return true
    }

    @inlinable public subscript(i: Int) -> Element { storage[i] }

    /// The elements as a buffer, for loops that read many of them (reading `self[i]` in a loop can make the
    /// compiler copy the whole inline storage per read).
    @inlinable
    public func withUnsafeElements<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Element.self), count: stored))
        }
    }
    /// The elements as a buffer, in place (no copy of the inline storage).
    @inlinable
    public mutating func withUnsafeMutableElements<R>(_ body: (UnsafeMutableBufferPointer<Element>) throws -> R) rethrows -> R {
        let n = stored
        return try withUnsafeMutableBytes(of: &storage) { raw in
            try body(UnsafeMutableBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Element.self), count: n))
        }
    }
    @inlinable public var isEmpty: Bool { stored == 0 }
    @inlinable public mutating func removeAll() { stored = 0 }
    /// The elements as an array (tests and reports; allocates).
    public var elements: [Element] { (0..<stored).map { storage[$0] } }
}

extension FixedList: Equatable where Element: Equatable {
    public static func == (a: FixedList, b: FixedList) -> Bool { a.elements == b.elements }
}

extension FixedList where Element == OpenOrder {
    public init() { self.init(filler: OpenOrder(clientOrderID: ClientOrderID(), side: .buy, price: .zero, remaining: .zero)) }
}

extension FixedList where Element == OrderCommand {
    public init() { self.init(filler: .cancel(ClientOrderID())) }
}

/// Turns desired quotes into the fewest commands against the open orders. An open order that matches a
/// desired quote within the tolerance is kept (no churn: keeping queue position is worth more than a tick);
/// leftover open orders are moved onto leftover quotes of the same side (`modify`, when enabled) or
/// cancelled, and leftover quotes are placed. Cancels come first, so capacity frees before new orders.
public struct QuoteReconciler: Sendable, Equatable {
    /// Largest price difference, in ticks, at which an open order still counts as the desired quote.
    public var priceToleranceTicks: Int64
    /// Smallest remaining size, in per mille of the desired size, that still counts (partly filled orders).
    public var minRemainingPerMille: Int64
    /// Use `modify` for a same-side reprice instead of cancel + place.
    public var useModify: Bool
    public let tickSize: Price

    public init(tickSize: Price, priceToleranceTicks: Int64 = 0, minRemainingFraction: Double = 0.5, useModify: Bool = false) {
        self.tickSize = tickSize
        self.priceToleranceTicks = priceToleranceTicks
        self.minRemainingPerMille = Int64((minRemainingFraction * 1000).rounded())
        self.useModify = useModify
    }

    /// The commands for `desired` against `open` (allocates a list; the gateway reuses one with
    /// `reconcile(desired:open:into:)`).
    public func reconcile(desired: QuoteIntent, open: FixedList<OpenOrder>) -> FixedList<OrderCommand> {
        var commands = FixedList<OrderCommand>()
        reconcile(desired: desired, open: open, into: &commands)
        return commands
    }

    /// The same, reading `open` in place (a list held in a caller's state is not copied; it is not changed).
    @inlinable
    public func reconcile(desired: QuoteIntent, open: inout FixedList<OpenOrder>, into commands: inout FixedList<OrderCommand>) {
        commands.removeAll()
        desired.withUnsafeQuotes { quotes in
            open.withUnsafeMutableElements { orders in
                reconcile(quotes, UnsafeBufferPointer(orders), into: &commands)
            }
        }
    }

    /// Writes the commands for `desired` against `open` into `commands` (replacing its contents).
    @inlinable
    public func reconcile(desired: QuoteIntent, open: FixedList<OpenOrder>, into commands: inout FixedList<OrderCommand>) {
        commands.removeAll()
        desired.withUnsafeQuotes { quotes in
            open.withUnsafeElements { orders in
                reconcile(quotes, orders, into: &commands)
            }
        }
    }

    @inlinable
    func reconcile(_ quotes: UnsafeBufferPointer<Quote>, _ orders: UnsafeBufferPointer<OpenOrder>, into commands: inout FixedList<OrderCommand>) {
        var openUsed: UInt64 = 0
        var quoteUsed: UInt32 = 0
        let tolerance = UInt64(priceToleranceTicks * tickSize.raw)
        for qi in 0..<quotes.count {
            let quote = quotes[qi]
            for oi in 0..<orders.count where openUsed & (1 << oi) == 0 {
                let o = orders[oi]
                if o.side == quote.side && (o.price.raw - quote.price.raw).magnitude <= tolerance
                    && o.remaining.raw * 1000 >= quote.quantity.raw * minRemainingPerMille
                {
                    openUsed |= 1 << oi
                    quoteUsed |= 1 << qi
                    break
                }
            }
        }
        // Leftover open orders: moved onto a leftover quote of their side (modify), or cancelled.
        var modifyTarget: UInt64 = 0  // open orders that become a modify
        // Per open order, the quote index + 1 it moves to, 5 bits each (no inline array to copy).
        var targets = (UInt64(0), UInt64(0), UInt64(0))  // 32 × 5 bits
        func target(_ oi: Int) -> Int { Int((oi < 12 ? targets.0 >> (5 * oi) : oi < 24 ? targets.1 >> (5 * (oi - 12)) : targets.2 >> (5 * (oi - 24))) & 31) }
        func setTarget(_ oi: Int, _ v: Int) {
            let bits = UInt64(v) << (5 * (oi % 12))
            if oi < 12 { targets.0 |= bits } else if oi < 24 { targets.1 |= bits } else { targets.2 |= bits }
        }
        if useModify {
            for oi in 0..<orders.count where openUsed & (1 << oi) == 0 {
                for qi in 0..<quotes.count where quoteUsed & (1 << qi) == 0 && quotes[qi].side == orders[oi].side {
                    quoteUsed |= 1 << qi
                    setTarget(oi, qi + 1)
                    modifyTarget |= 1 << oi
                    break
                }
            }
        }
        for oi in 0..<orders.count where openUsed & (1 << oi) == 0 && modifyTarget & (1 << oi) == 0 {
            commands.append(.cancel(orders[oi].clientOrderID))
        }
        for oi in 0..<orders.count where modifyTarget & (1 << oi) != 0 {
            commands.append(.modify(orders[oi].clientOrderID, quotes[target(oi) - 1]))
        }
        for qi in 0..<quotes.count where quoteUsed & (1 << qi) == 0 { commands.append(.place(quotes[qi])) }
    }
}
