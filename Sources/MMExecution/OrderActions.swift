import MMCore
import MMRisk

/// What the order manager asks its shell to do. Values without references, so a batch of them costs no
/// allocation; the shell carries them out in order and reports back what came of them.
@frozen
public enum OrderAction: Sendable, Equatable, BitwiseCopyable {
    /// Send a new order.
    case place(OrderSpec)
    /// Move an open order to `price` with `quantity` in all (its filled part included).
    case modify(ClientOrderID, side: Side, price: Price, quantity: Quantity)
    case cancel(ClientOrderID)
    /// Cancel every open order of the symbol at the venue, in one request.
    case cancelAll(token: UInt64)
    /// Ask the venue where an order stands (an unanswered request's outcome).
    case query(ClientOrderID)
    /// Read the venue's open orders and position, and answer with `reconciled(token:_:at:)`.
    case reconcile(token: UInt64)
    /// Renew the venue's dead-man switch: it cancels our orders unless renewed within `countdownMillis`
    /// (0 switches it off).
    case heartbeat(countdownMillis: Int64)
    /// Drop the user-data connection and open a new one (it was connected but silent).
    case reconnectUserStream
    /// Write a record to the journal, durable before the batch's requests leave.
    case journal(JournalRecord)
    /// Something for logs and counters.
    case note(ManagerEvent)
}

/// One journal record: what was sent, what came back, and the figures a restart needs.
@frozen
public enum JournalRecord: Sendable, Equatable, BitwiseCopyable {
    case sent(ClientOrderID, Side, price: Price, quantity: Quantity, reduceOnly: Bool, wallMillis: Int64)
    case modifySent(ClientOrderID, price: Price, quantity: Quantity, wallMillis: Int64)
    case cancelSent(ClientOrderID, wallMillis: Int64)
    case acknowledged(ClientOrderID, VenueOrderID)
    case refused(ClientOrderID, RequestKind, code: Int32)
    /// Final: filled, cancelled, expired, or gone by the venue's word.
    case closed(ClientOrderID, OrderStatus)
    /// A fill; `fee` in the settlement asset (converted when charged in another).
    case fill(ClientOrderID, Side, price: Price, quantity: Quantity, fee: Notional, realized: Notional, tradeID: Int64, maker: Bool,
        wallMillis: Int64)
    case funding(Notional, wallMillis: Int64)
    case halt(HaltReason, wallMillis: Int64)
    case resume(wallMillis: Int64)
    case cancelAll(wallMillis: Int64)
    /// The venue's open orders (ours) and position after a reconciliation.
    case reconciled(open: Int32, position: Quantity, wallMillis: Int64)
    /// Today's and the cumulative figures, written at every change of them so a restart reads the last one.
    case pnl(PnLFigures, wallMillis: Int64)
}

/// Why trading halted.
public enum HaltReason: UInt8, Sendable, Equatable, BitwiseCopyable, CaseIterable {
    case dailyLoss, stopLoss, drawdown, operatorHalt, journalFailure, commissionUnpriced, shutdown

    /// The stable code logs, metrics and alerts key on.
    public var code: String {
        switch self {
        case .dailyLoss: RiskRejection.dailyLossLimit.rawValue
        case .stopLoss: RiskRejection.stopLoss.rawValue
        case .drawdown: RiskRejection.drawdown.rawValue
        case .operatorHalt: "OPERATOR"
        case .journalFailure: "JOURNAL_FAILURE"
        case .commissionUnpriced: "COMMISSION_UNPRICED"
        case .shutdown: "SHUTDOWN"
        }
    }

    public init?(code: String) {
        guard let r = HaltReason.allCases.first(where: { $0.code == code }) else { return nil }
        self = r
    }
}

/// What happened inside the manager, for logs and counters (acknowledgements and closings are in the
/// journal records).
@frozen
public enum ManagerEvent: Sendable, Equatable, BitwiseCopyable {
    case riskRejected(RiskRejection)
    case refused(ClientOrderID, RequestKind, Refusal, code: Int32)
    case filled(ClientOrderID, Side, price: Price, quantity: Quantity, fee: Notional, maker: Bool)
    /// A request went unanswered by its deadline: the order's fate is unknown until a query tells.
    case unknownOutcome(ClientOrderID, RequestKind)
    /// A query settled an unknown outcome.
    case resolved(ClientOrderID, found: Bool)
    /// An order of ours the manager did not track (a report or a listing named it): adopted and cancelled.
    case adopted(ClientOrderID)
    case halted(HaltReason)
    /// After a halt, the venue confirmed that none of our orders is open.
    case haltConfirmed
    case resumed
    case cancelAllDone
    case cancelAllFailed(code: Int32)
    /// Quotes pulled because the book is stale or the venue side is not ready.
    case quotesPulled
    /// An acknowledged order's report never came on the user stream: it is connected but silent.
    case userStreamSilent
    /// The venue's position disagreed with the fills for too long; the venue's was taken.
    case positionCorrected(from: Quantity, to: Quantity)
    case reconciled(open: Int32, adopted: Int32)
    case fundingFee(Notional)
    /// A fill reported a quantity the manager had not seen (missed reports): reconciling.
    case missedFill(ClientOrderID)
    case implausibleReport
    case newTradingDay
}

/// Realized PnL, fees and funding of today and since the cumulative start, in the settlement asset.
@frozen
public struct PnLFigures: Sendable, Equatable, BitwiseCopyable {
    /// UTC midnight of the trading day the `day*` figures belong to (ms).
    public var dayStartMillis: Int64 = 0
    public var dayRealized = Notional.zero
    /// Fees paid (positive).
    public var dayFees = Notional.zero
    /// Funding received (negative when paid).
    public var dayFunding = Notional.zero
    /// Start of the cumulative figures (ms): the configured `stopLossSince`, or the journal's first day.
    public var sinceMillis: Int64 = 0
    public var totalRealized = Notional.zero
    public var totalFees = Notional.zero
    public var totalFunding = Notional.zero

    public init() {}

    /// Today's realized PnL after fees and funding.
    public var dayNet: Notional { dayRealized.clampedSubtracting(dayFees).clampedAdding(dayFunding) }
    /// The cumulative realized PnL after fees and funding.
    public var totalNet: Notional { totalRealized.clampedSubtracting(totalFees).clampedAdding(totalFunding) }

    /// Adds one fill's realized PnL and fee to both figures.
    public mutating func addFill(realized: Notional, fee: Notional) {
        dayRealized = dayRealized.clampedAdding(realized)
        dayFees = dayFees.clampedAdding(fee)
        totalRealized = totalRealized.clampedAdding(realized)
        totalFees = totalFees.clampedAdding(fee)
    }

    public mutating func addFunding(_ amount: Notional) {
        dayFunding = dayFunding.clampedAdding(amount)
        totalFunding = totalFunding.clampedAdding(amount)
    }

    /// Starts the trading day that begins at `dayStartMillis`: today's figures from zero.
    public mutating func startDay(_ dayStartMillis: Int64) {
        self.dayStartMillis = dayStartMillis
        dayRealized = .zero
        dayFees = .zero
        dayFunding = .zero
    }
}
