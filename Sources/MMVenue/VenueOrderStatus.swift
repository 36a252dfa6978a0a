import MMCore

/// An order's state in the product's terms, and the venue's own word for it.
public struct VenueOrderStatus: Sendable, Hashable {
    /// The normalized state.
    public var status: OrderStatus
    /// The venue's status as it sent it (`PARTIALLY_CANCELED`, `PartiallyFilledCanceled`, `live`, ...).
    public var venueStatus: String

    /// Maps a venue's status; `nil` for one the venue does not document.
    public init?(venue: VenueID, _ text: String) {
        let mapped: OrderStatus?
        switch venue {
        case .binanceUSDM, .binanceSpot:
            mapped = text == "PENDING_NEW" ? .new : text == "PENDING_CANCEL" ? .new : OrderStatus(rawValue: text)
        case .mexc:
            // No EXPIRED; a cancel after a partial fill is its own status.
            mapped = ["NEW": .new, "PARTIALLY_FILLED": .partiallyFilled, "FILLED": .filled, "CANCELED": .canceled,
                "PARTIALLY_CANCELED": .canceled][text]
        case .bybit:
            mapped = ["Created": .new, "New": .new, "PartiallyFilled": .partiallyFilled, "Filled": .filled, "Cancelled": .canceled,
                "PartiallyFilledCanceled": .canceled, "Rejected": .rejected, "Deactivated": .canceled, "Untriggered": .new,
                "Triggered": .new][text]
        case .okx:
            mapped = ["live": .new, "partially_filled": .partiallyFilled, "filled": .filled, "canceled": .canceled,
                "mmp_canceled": .canceled][text]
        }
        guard let mapped else { return nil }
        status = mapped
        venueStatus = text
    }

    /// Whether the order can still execute.
    public var isOpen: Bool { status == .new || status == .partiallyFilled }
}
