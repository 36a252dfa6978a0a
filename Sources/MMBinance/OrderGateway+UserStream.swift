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

    /// Tries again after a failed reconciliation: 0.5 s, doubling to 4 s, and never before the venue's
    /// `Retry-After` — a retry loop must not spend the request weight that a 429 is asking us to save.
    func scheduleReconcile() {
        guard !reconciling, !stopping else { return }
        let wait = max(reconcileRetryMillis * 1_000_000, backoffUntilNanos - nowNanos)
        reconcileRetryMillis = min(reconcileRetryMillis * 2, 4_000)
        loop.scheduleTask(in: .nanoseconds(wait)) { self.reconcile() }
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
            self.reconcileRetryMillis = 500
            self.apply(openOrders: open, positions: risk)
            // The day's PnL from the venue once the venue answers again (weight 30: not on every retry, and
            // not more than every 10 s).
            if self.nowNanos - self.incomeFetchedNanos > 10_000_000_000 {
                self.incomeFetchedNanos = self.nowNanos
                self.restoreDayFromVenue()
            }
        }
    }

    /// Today's realized PnL and commission from the venue's income history (`GET /fapi/v1/income` since UTC
    /// midnight, 1000 entries a page): the truth when fills happened while no engine listened (a crash, a
    /// lost user stream). Without an answer, the figures stay as they are (the journal's, at start).
    func restoreDayFromVenue() {
        let dayStart = venueMillis / 86_400_000 * 86_400_000
        fetchIncome(since: dayStart, IncomeTotals()) { totals in
            guard let totals, !self.stopping else {
                self.note(.warning, "income.unavailable", ["kept": "journal"])
                return
            }
            let before = (self.tracker.realized, self.tracker.fees)
            self.tracker.restoreDay(realized: totals.realized, fees: totals.fees, tradeIDs: totals.tradeIDs)
            if before != (totals.realized, totals.fees) {
                self.note(.info, "day.restored_from_venue", [
                    "realized": "\(totals.realized)", "fees": "\(totals.fees)", "entries": "\(totals.entries)",
                    "was_realized": "\(before.0)", "was_fees": "\(before.1)",
                ])
            }
            self.evaluate()
        }
    }

    struct IncomeTotals {
        var realized = Notional.zero
        var fees = Notional.zero
        var entries = 0
        var tradeIDs: [Int64] = []
        var seen: Set<Int64> = []
    }

    private func fetchIncome(since: Int64, _ sum: IncomeTotals, _ done: @escaping (IncomeTotals?) -> Void) {
        let query = "symbol=\(configuration.instrument.symbol)&startTime=\(since)&limit=1000"
        rest(.GET, "/fapi/v1/income", query: query, signed: true).whenComplete { result in
            guard case .success(let reply) = result, reply.status == 200, let items = (try? JSONValue.parse(reply.body))?.arrayValue else {
                done(nil)
                return
            }
            var sum = sum
            var last = since
            for item in items {
                guard let id = item["tranId"]?.int64, sum.seen.insert(id).inserted, let amount = item["income"]?.text.flatMap({ Notional($0) })
                else { continue }
                switch item["incomeType"]?.text {
                case "REALIZED_PNL": sum.realized = sum.realized.clampedAdding(amount)
                case "COMMISSION": sum.fees = sum.fees.clampedAdding(-amount)
                default: continue
                }
                sum.entries += 1
                if let t = item["tradeId"]?.text.flatMap({ Int64($0) }) ?? item["tradeId"]?.int64 { sum.tradeIDs.append(t) }
                last = max(last, item["time"]?.int64 ?? last)
            }
            // A full page: the next one starts at the last entry's time (entries seen already are skipped).
            if items.count == 1000 && last > since { self.fetchIncome(since: last, sum, done) } else { done(sum) }
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
