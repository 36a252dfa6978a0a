import MMCore

/// Why a venue message could not be decoded. Carries no heap data, so throwing it does not allocate.
public enum WireError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The message ended inside a value.
    case unexpectedEnd
    /// A byte that does not fit the JSON grammar (or the expected shape) at this offset.
    case unexpectedByte(UInt8, offset: Int)
    /// A decimal field could not be read exactly.
    case badDecimal(field: WireField, DecimalError, offset: Int)
    /// An integer field is not a plain integer or does not fit Int64.
    case badInteger(field: WireField, offset: Int)
    /// A symbol is empty, too long or not plain ASCII.
    case badSymbol(offset: Int)
    /// A field the message type requires is absent.
    case missingField(WireField)
    /// A field holds a value the decoder does not know (a side, status or execution type).
    case unknownValue(WireField)
    /// Arrays or objects nested deeper than the decoder accepts.
    case nestingTooDeep(offset: Int)
    /// The bytes are not a JSON object.
    case notAnObject

    public var description: String {
        switch self {
        case .unexpectedEnd: return "message ends unexpectedly"
        case .unexpectedByte(let b, let offset):
            let shown = (0x20..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
            return "unexpected \(shown) at offset \(offset)"
        case .badDecimal(let field, let error, let offset): return "field \"\(field)\" at offset \(offset): \(error)"
        case .badInteger(let field, let offset): return "field \"\(field)\" at offset \(offset): not an integer in range"
        case .badSymbol(let offset): return "bad symbol at offset \(offset)"
        case .missingField(let field): return "missing field \"\(field)\""
        case .unknownValue(let field): return "unknown value in field \"\(field)\""
        case .nestingTooDeep(let offset): return "nesting too deep at offset \(offset)"
        case .notAnObject: return "not a JSON object"
        }
    }
}

/// Fields of Binance market messages that the decoder reads.
public enum WireField: UInt8, Sendable, Hashable, CustomStringConvertible {
    case eventType, eventTime, transactionTime, symbol, firstUpdateID, finalUpdateID, prevFinalUpdateID
    case bids, asks, bidPrice, bidQuantity, askPrice, askQuantity, price, quantity, tradeID, buyerIsMaker
    case lastUpdateID, level, side, orderStatus, executionType, orderID, order, account

    public var description: String {
        switch self {
        case .eventType: return "e"
        case .eventTime: return "E"
        case .transactionTime: return "T"
        case .symbol: return "s"
        case .firstUpdateID: return "U"
        case .finalUpdateID: return "u"
        case .prevFinalUpdateID: return "pu"
        case .bids: return "b|bids"
        case .asks: return "a|asks"
        case .bidPrice: return "b"
        case .bidQuantity: return "B"
        case .askPrice: return "a"
        case .askQuantity: return "A"
        case .price: return "p"
        case .quantity: return "q"
        case .tradeID: return "t|a"
        case .buyerIsMaker: return "m"
        case .lastUpdateID: return "lastUpdateId"
        case .level: return "level"
        case .side: return "S"
        case .orderStatus: return "X"
        case .executionType: return "x"
        case .orderID: return "i"
        case .order: return "o"
        case .account: return "a"
        }
    }
}
