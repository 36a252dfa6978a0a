/// The I/O shell of one venue: it carries out an `OrderManager`'s actions (transport, signing, encoding,
/// timing) and feeds what comes of them back as the manager's inputs. Decisions stay in the manager; a
/// gateway holds only what its venue's protocol needs (connections, request IDs, signatures).
///
/// The live Binance USDⓈ-M shell and the backtester's simulated venue both implement it, and both drive the
/// manager through `OrderSession`, so a backtest runs the same order handling as the engine.
public protocol VenueGateway: AnyObject {
    /// Carries out one action. What comes of it arrives later as an input of the manager, never from inside
    /// this call (so the manager is not re-entered while its actions are being carried out).
    func execute(_ action: OrderAction, at now: Moment)

    /// Called once a batch of actions has been executed (a strategy tick's orders, a timer's retries): the
    /// place to make journal records durable and flush the batch's writes to the wire.
    func endOfBatch(at now: Moment)
}

/// An order manager with its batch buffer: every input goes to the manager, and the actions it returns go to
/// the gateway, in order, as one batch. The gateway is passed in (it usually owns the session).
public struct OrderSession {
    public var manager: OrderManager
    private var batch: [OrderAction] = []

    public init(manager: OrderManager) {
        self.manager = manager
        batch.reserveCapacity(256)
    }

    /// Applies one input to the manager, then has `gateway` carry out what it asked for. The gateway must not
    /// touch this session while it does (its answers come back as later inputs).
    @inline(__always)
    public mutating func handle<Gateway: VenueGateway>(_ gateway: Gateway, at now: Moment, _ input: (inout OrderManager) -> Void) {
        input(&manager)
        manager.takeActions(into: &batch)
        guard !batch.isEmpty else { return }
        for i in 0..<batch.count { gateway.execute(batch[i], at: now) }
        batch.removeAll(keepingCapacity: true)
        gateway.endOfBatch(at: now)
    }
}
