import MMCore

/// A decoded user data stream message.
public enum UserStreamEvent: Sendable, Hashable {
    case execution(ExecutionReport)
    case account(AccountUpdate)
    /// The listen key expired: nothing more arrives on this stream until a new key is used.
    case listenKeyExpired(listenKey: String, eventTime: UnixNanos)
    /// A well-formed event the engine does not act on (ALGO_UPDATE, TRADE_LITE, MARGIN_CALL, ...).
    case other(eventType: String)
}

/// Decodes Binance USDⓈ-M user data stream events. Runs on the gateway thread, where events are rare
/// compared with market data, so it builds on `JSONValue` (exact numbers, allocates) rather than the
/// zero-allocation market decoder.
public enum UserStreamDecoder {
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> UserStreamEvent {
        var doc = try JSONValue.parse(bytes)
        // Combined-stream envelope.
        if let data = doc["data"], doc["stream"] != nil { doc = data }
        guard case .object = doc else { throw .notAnObject }
        guard let type = doc["e"]?.text else { throw .missingField(.eventType) }
        let eventTime = UnixNanos(millis: doc["E"]?.int64 ?? 0)
        switch type {
        case "ORDER_TRADE_UPDATE":
            guard let o = doc["o"] else { throw .missingField(.order) }
            return .execution(try execution(o, eventTime: eventTime, transactionTime: UnixNanos(millis: doc["T"]?.int64 ?? 0)))
        case "ACCOUNT_UPDATE":
            guard let a = doc["a"] else { throw .missingField(.account) }
            return .account(try account(a, eventTime: eventTime, transactionTime: UnixNanos(millis: doc["T"]?.int64 ?? doc["E"]?.int64 ?? 0)))
        case "listenKeyExpired":
            return .listenKeyExpired(listenKey: doc["listenKey"]?.text ?? "", eventTime: eventTime)
        default:
            return .other(eventType: type)
        }
    }

    public static func decode(_ text: String) throws(WireError) -> UserStreamEvent { try decode(Array(text.utf8)) }

    static func execution(_ o: JSONValue, eventTime: UnixNanos, transactionTime: UnixNanos) throws(WireError) -> ExecutionReport {
        guard let s = o["s"]?.text, let symbol = Symbol(s) else { throw .missingField(.symbol) }
        guard let sideText = o["S"]?.text else { throw .missingField(.side) }
        guard let side: Side = sideText == "BUY" ? .buy : sideText == "SELL" ? .sell : nil else { throw .unknownValue(.side) }
        guard let x = o["x"]?.text else { throw .missingField(.executionType) }
        guard let execution = ExecutionType(rawValue: x) else { throw .unknownValue(.executionType) }
        guard let X = o["X"]?.text else { throw .missingField(.orderStatus) }
        guard let status = OrderStatus(rawValue: X) else { throw .unknownValue(.orderStatus) }
        guard let id = o["i"]?.int64 else { throw .missingField(.orderID) }
        return ExecutionReport(
            symbol: symbol, clientOrderID: o["c"]?.text ?? "", venueOrderID: VenueOrderID(id), side: side,
            orderType: o["o"]?.text ?? "", timeInForce: o["f"]?.text ?? "",
            quantity: try fixed(o, "q"), price: try fixed(o, "p"), averagePrice: try fixed(o, "ap"),
            stopPrice: try fixed(o, "sp"), execution: execution, status: status,
            lastQuantity: try fixed(o, "l"), lastPrice: try fixed(o, "L"), cumulativeQuantity: try fixed(o, "z"),
            commission: try fixed(o, "n"), commissionAsset: o["N"]?.text ?? "", tradeID: o["t"]?.int64 ?? 0,
            isMaker: o["m"] == .bool(true), reduceOnly: o["R"] == .bool(true), realizedPnL: try fixed(o, "rp"),
            eventTime: eventTime, transactionTime: o["T"]?.int64.map { UnixNanos(millis: $0) } ?? transactionTime)
    }

    static func account(_ a: JSONValue, eventTime: UnixNanos, transactionTime: UnixNanos) throws(WireError) -> AccountUpdate {
        var balances: [AccountUpdate.Balance] = []
        for b in a["B"]?.arrayValue ?? [] {
            balances.append(AccountUpdate.Balance(
                asset: b["a"]?.text ?? "", wallet: try fixed(b, "wb"), crossWallet: try fixed(b, "cw"), change: try fixed(b, "bc")))
        }
        var positions: [AccountUpdate.Position] = []
        for p in a["P"]?.arrayValue ?? [] {
            guard let s = p["s"]?.text, let symbol = Symbol(s) else { throw .missingField(.symbol) }
            positions.append(AccountUpdate.Position(
                symbol: symbol, quantity: try fixed(p, "pa"), entryPrice: try fixed(p, "ep"), unrealizedPnL: try fixed(p, "up"),
                positionSide: p["ps"]?.text ?? "BOTH"))
        }
        return AccountUpdate(reason: a["m"]?.text ?? "", balances: balances, positions: positions, eventTime: eventTime, transactionTime: transactionTime)
    }

    /// A decimal field; absent means zero, malformed is an error naming the field.
    static func fixed<T: FixedPoint>(_ v: JSONValue, _ key: String) throws(WireError) -> T {
        guard let text = v[key]?.text, !text.isEmpty else { return .zero }
        do throws(DecimalError) {
            return try T(parsing: text)
        } catch {
            throw .badDecimal(field: .price, error, offset: 0)
        }
    }
}
