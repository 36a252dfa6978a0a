import MMBinanceWire
import MMCore
import MMExecution
import NIOCore
import NIOHTTP1

extension OrderGateway {
    // MARK: User data stream (on `loop`)

    /// Creates (or renews) the listen key, connects the user stream, then reconciles before quoting.
    func openUserStream() {
        guard !stopping else { return }
        if userStreamLostNanos == 0 { userStreamLostNanos = nowNanos }
        reconciled = false
        rest(.POST, "/fapi/v1/listenKey", query: "", signed: false).whenComplete { result in
            guard case .success(let reply) = result, reply.status == 200,
                let key = (try? JSONValue.parse(reply.body))?["listenKey"]?.text
            else {
                self.retryUserStream()
                return
            }
            if self.listenKey != nil && self.listenKey != key { self.listenKeyRenewals += 1 }
            self.listenKey = key
            self.listenKeySince = self.nowNanos
            let handler = NIOLoopBound(TextFrameHandler { [unowned self] bytes in self.onUserFrame(bytes) }, eventLoop: self.loop)
            WebSocketConnector.connect(self.configuration.userStream, path: "/ws/" + key, on: self.loop) { handler.value }
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        self.userStream = channel
                        self.userStreamBackoff = .milliseconds(200)
                        channel.closeFuture.whenComplete { _ in
                            guard self.userStream === channel else { return }
                            self.userStream = nil
                            self.userStreamLost()
                        }
                        // Events that happened while we were away are in the venue's books, not the stream.
                        self.reconcile()
                    case .failure:
                        self.retryUserStream()
                    }
                }
        }
    }

    private func userStreamLost() {
        guard !stopping else { return }
        note(.warning, "reconnect", ["stream": "user_stream", "state": "lost"])
        userStreamLostNanos = nowNanos
        reconciled = false
        publish()
        retryUserStream()
    }

    private func retryUserStream() {
        guard !stopping else { return }
        let wait = userStreamBackoff
        userStreamBackoff = .nanoseconds(min(userStreamBackoff.nanoseconds * 2, TimeAmount.seconds(30).nanoseconds))
        loop.scheduleTask(in: wait) { self.openUserStream() }
    }

    func keepListenKeyAlive() {
        guard listenKey != nil, !stopping else { return }
        rest(.PUT, "/fapi/v1/listenKey", query: "", signed: false).whenSuccess { reply in
            // -1125: the key is gone; start over with a new one.
            if reply.status != 200 { self.userStream?.close(promise: nil) } else { self.listenKeySince = self.nowNanos }
        }
    }

    /// Counted, and said in the log (the first ten, then every hundredth); never applied.
    private func malformedUserEvent(_ why: String, _ bytes: UnsafeRawBufferPointer) {
        let n = (rejectsByCode["MALFORMED_USER_EVENT"] ?? 0) + 1
        rejectsByCode["MALFORMED_USER_EVENT"] = n
        if n <= 10 || n % 100 == 0 {
            note(.warning, "user_stream.malformed", ["error": "\(why)", "count": "\(n)", "frame": "\(printablePrefix(bytes))"])
        }
    }

    private func onUserFrame(_ bytes: UnsafeRawBufferPointer) {
        let event: UserStreamEvent
        do { event = try UserStreamDecoder.decode(Array(bytes)) } catch {
            malformedUserEvent("\(error)", bytes)
            return
        }
        switch event {
        case .execution(let report):
            guard OrderTracker.isPlausible(report) else {
                malformedUserEvent("a figure beyond \(Quantity(raw: OrderTracker.plausibleMagnitude)) or a negative quantity", bytes)
                return
            }
            let (fill, status) = tracker.apply(report)
            if case .filled(let id, let side, let price, let qty, let fee, let maker)? = fill {
                note(.info, "order.filled", [
                    "id": "\(id)", "side": "\(side)", "price": "\(price)", "quantity": "\(qty)", "fee": "\(fee)", "maker": "\(maker)",
                    "position": "\(tracker.position)",
                ])
                journal?.append(
                    #"{"e":"fill","c":"\#(id)","s":"\#(side)","p":"\#(price)","q":"\#(qty)","fee":"\#(fee)","rp":"\#(report.realizedPnL)","maker":\#(maker),"t":\#(report.transactionTime.millis)}"#)
            }
            if case .closed(let id, let st)? = status {
                if st != .filled { note(.info, st == .canceled ? "order.cancelled" : "order.expired", ["id": "\(id)", "status": "\(st.rawValue)"]) }
                journal?.append(#"{"e":"closed","c":"\#(id)","status":"\#(st.rawValue)"}"#)
            }
            evaluate()
        case .account(let update):
            for p in update.positions where p.symbol == configuration.instrument.symbol && p.positionSide == "BOTH" {
                tracker.setPosition(p.quantity, entryPrice: p.entryPrice)
            }
            evaluate()
        case .listenKeyExpired:
            listenKeyRenewals += 1
            note(.warning, "listen_key.expired")
            userStream?.close(promise: nil)
        case .other:
            break
        }
    }

    // MARK: Reconciliation (on `loop`)

    func scheduleReconcile() {
        guard !reconciling, !stopping else { return }
        loop.scheduleTask(in: .milliseconds(500)) { self.reconcile() }
    }

    /// Reads open orders and the position over REST and makes the tracker agree: our orders the venue still
    /// has are adopted (nothing is placed twice), ones it no longer has are forgotten.
    func reconcile() {
        guard !reconciling, !stopping else { return }
        reconciling = true
        let symbol = configuration.instrument.symbol
        let orders = rest(.GET, "/fapi/v1/openOrders", query: "symbol=\(symbol)", signed: true)
        let position = rest(.GET, "/fapi/v2/positionRisk", query: "symbol=\(symbol)", signed: true)
        orders.and(position).whenComplete { result in
            self.reconciling = false
            guard case .success(let (o, p)) = result, o.status == 200, p.status == 200,
                let open = (try? JSONValue.parse(o.body))?.arrayValue, let risk = (try? JSONValue.parse(p.body))?.arrayValue
            else {
                self.scheduleReconcile()
                return
            }
            self.apply(openOrders: open, positions: risk)
        }
    }

    private func apply(openOrders open: [JSONValue], positions: [JSONValue]) {
        reconciliations += 1
        var atVenue: Set<ClientOrderID> = []
        let basePrefix = configuration.clientIDPrefix + "-"
        for o in open {
            guard let text = o["clientOrderId"]?.text, text.hasPrefix(basePrefix), let id = ClientOrderID(text),
                let side = o["side"]?.text, let price = o["price"]?.text.flatMap({ Price($0) }),
                let qty = o["origQty"]?.text.flatMap({ Quantity($0) }), let filled = o["executedQty"]?.text.flatMap({ Quantity($0) })
            else { continue }
            atVenue.insert(id)
            if tracker.orders[id] == nil { adoptedOrders += 1 }
            tracker.adopt(TrackedOrder(
                clientOrderID: id, venueOrderID: VenueOrderID(o["orderId"]?.int64 ?? 0), side: side == "BUY" ? .buy : .sell,
                price: price, quantity: qty, filled: filled, state: .open, sentNanos: nowNanos))
        }
        for (id, o) in tracker.orders where !atVenue.contains(id) {
            // An order sent moments ago may not be listed yet; its answer settles it.
            if o.state != .pendingNew || nowNanos - o.sentNanos > 5_000_000_000 { tracker.forget(id) }
        }
        for p in positions where p["symbol"]?.text == configuration.instrument.symbol.description && (p["positionSide"]?.text ?? "BOTH") == "BOTH" {
            let qty = p["positionAmt"]?.text.flatMap { Quantity($0) } ?? .zero
            let entry = p["entryPrice"]?.text.flatMap { Price($0) } ?? .zero
            tracker.setPosition(qty, entryPrice: entry)
        }
        if reconciliations == 1 {
            for text in journalOpenAtStart where ClientOrderID(text).map({ !atVenue.contains($0) }) ?? true {
                journalResolvedWhileDown += 1
                journal?.append(#"{"e":"closed","c":"\#(text)","status":"RESOLVED_WHILE_DOWN"}"#)
            }
        }
        reconciled = true
        if userStream != nil {
            if userStreamLostNanos != 0 && userStreamLostNanos != nil { faultsRecovered += 1 }
            userStreamLostNanos = nil
        }
        journal?.append(#"{"e":"reconciled","open":\#(atVenue.count),"position":"\#(tracker.position)","t":\#(UnixNanos.now().millis)}"#)
        note(.info, "reconcile", ["open_orders": "\(atVenue.count)", "position": "\(tracker.position)", "adopted": "\(adoptedOrders)"])
        publish()
    }
}
