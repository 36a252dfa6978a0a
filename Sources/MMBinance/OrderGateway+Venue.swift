import MMBinanceWire
import MMCore
import MMExecution
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension OrderGateway {
    // MARK: Start-up checks (on `loop`)

    /// Reads and sets the account's modes before anything is quoted. Refuses (with what to do) hedge mode
    /// and the BNB fee discount; sets leverage and margin type when configured.
    func checkAccount() -> EventLoopFuture<Void> {
        guard !configuration.dryRun else { return loop.makeSucceededVoidFuture() }
        let symbol = configuration.instrument.symbol
        return syncClockFuture()
            .flatMap { self.startupCall(.GET, "/fapi/v1/positionSide/dual", "") }
            .flatMapThrowing { doc in
                self.accountSettings.hedgeMode = doc["dualSidePosition"] == .bool(true)
                if self.accountSettings.hedgeMode {
                    throw GatewayError(
                        "the account is in hedge mode (dualSidePosition: true); the engine quotes one-way positions only. Switch it to one-way mode (POST /fapi/v1/positionSide/dual dualSidePosition=false, with no open positions or orders) and start again")
                }
            }
            .flatMap { self.startupCall(.GET, "/fapi/v1/multiAssetsMargin", "") }
            .map { doc in self.accountSettings.multiAssetsMargin = doc["multiAssetsMargin"] == .bool(true) }
            .flatMap { self.startupCall(.GET, "/fapi/v1/feeBurn", "") }
            .flatMapThrowing { doc in
                self.accountSettings.bnbFeeDiscount = doc["feeBurn"] == .bool(true)
                if self.accountSettings.bnbFeeDiscount {
                    throw GatewayError(
                        "the BNB fee discount is on (feeBurn: true): commissions would be charged in BNB, which the loss limits count in \(self.configuration.settlementAsset) only. Turn it off (POST /fapi/v1/feeBurn feeBurn=false) and start again")
                }
            }
            .flatMap { () -> EventLoopFuture<Void> in
                guard let leverage = self.configuration.leverage else { return self.loop.makeSucceededVoidFuture() }
                return self.startupCall(.POST, "/fapi/v1/leverage", "symbol=\(symbol)&leverage=\(leverage)").map { doc in
                    self.accountSettings.leverage = doc["leverage"]?.int64.map { Int($0) }
                }
            }
            .flatMap { () -> EventLoopFuture<Void> in
                guard let margin = self.configuration.marginType else { return self.loop.makeSucceededVoidFuture() }
                // -4046: it is that margin type already.
                return self.startupCall(.POST, "/fapi/v1/marginType", "symbol=\(symbol)&marginType=\(margin)", accept: [-4046]).map { _ in
                    self.accountSettings.marginType = margin
                }
            }
            .map {
                self.note(.info, "account.checked", [
                    "position_mode": "one-way", "multi_assets_margin": "\(self.accountSettings.multiAssetsMargin)",
                    "bnb_fee_discount": "false", "leverage": "\(self.accountSettings.leverage.map(String.init) ?? "unchanged")",
                    "margin_type": "\(self.accountSettings.marginType ?? "unchanged")",
                ])
                self.flushLogs()
            }
    }

    /// One signed start-up request, tried again (up to a minute) on what passes: no answer, 5xx, 429/418.
    private func startupCall(_ method: HTTPMethod, _ path: String, _ query: String, accept: Set<Int> = [], attempt: Int = 0)
        -> EventLoopFuture<JSONValue>
    {
        restCall(method, path, query: query, signed: true).flatMap { reply -> EventLoopFuture<JSONValue> in
            let doc = (try? JSONValue.parse(reply.body)) ?? .object([])
            let code = doc["code"]?.int64.map { Int($0) }
            if reply.status == 200 || code.map({ accept.contains($0) }) == true { return self.loop.makeSucceededFuture(doc) }
            let retryable = reply.status >= 500 || reply.status == 429 || reply.status == 418 || code == -1021
            if code == -1021 { self.syncClock() }
            guard retryable && attempt < 8 else {
                let msg = doc["msg"]?.text ?? "HTTP \(reply.status)"
                return self.loop.makeFailedFuture(GatewayError("\(method) \(path) was refused at start: \(code.map(String.init) ?? "") \(msg)"))
            }
            let wait = max(Int64(250) << Int64(attempt), BinanceReplies.retryAfterMillis(reply.headers.first(name: "Retry-After")))
            return self.loop.scheduleTask(in: .milliseconds(min(wait, 15_000))) {}.futureResult.flatMap {
                self.startupCall(method, path, query, accept: accept, attempt: attempt + 1)
            }
        }.flatMapError { error in
            guard !(error is GatewayError), attempt < 8 else { return self.loop.makeFailedFuture(error) }
            return self.loop.scheduleTask(in: .milliseconds(250 << Int64(attempt))) {}.futureResult.flatMap {
                self.startupCall(method, path, query, accept: accept, attempt: attempt + 1)
            }
        }
    }

    // MARK: WebSocket API (on `loop`)

    var watchdog: Watchdog {
        Watchdog(pingEvery: .seconds(configuration.pingSeconds), readTimeout: .seconds(configuration.readTimeoutSeconds)) { [unowned self] in
            self.loop.execute { self.watchdogCloses += 1 }
        }
    }

    func connectWebSocketAPI(rotation: Bool = false) {
        guard let endpoint = configuration.webSocketAPI, !stopping, rotation || webSocketAPI == nil else { return }
        // A handshake costs request weight like a REST call: none inside the venue's wait after a 429 or 418
        // (more than a few there earn an IP ban). Tried again once the wait is over.
        let closed = configuration.budget.closedUntilNanos
        if closed > nowNanos {
            loop.scheduleTask(in: .nanoseconds(closed - nowNanos + Int64.random(in: 1_000_000...50_000_000))) {
                self.connectWebSocketAPI(rotation: rotation)
            }
            return
        }
        let handler = NIOLoopBound(TextFrameHandler { [unowned self] bytes in self.onWebSocketAPIFrame(bytes) }, eventLoop: loop)
        WebSocketConnector.connect(endpoint, path: "", on: loop, watchdog: watchdog) { handler.value }.whenComplete { result in
            switch result {
            case .success(let channel):
                let old = self.webSocketAPI
                self.webSocketAPI = channel
                self.webSocketAPIHeardNanos = self.nowNanos
                self.webSocketAPIBackoff = .milliseconds(200)
                if let old {
                    // Make before break: requests now go to the new connection; the old one closes once its
                    // answers are in (or in 5 s).
                    self.rotations += 1
                    self.loop.scheduleTask(in: .seconds(5)) { old.close(promise: nil) }
                }
                self.note(.info, "reconnect", ["stream": "ws_api", "state": "connected", "rotation": "\(old != nil)"])
                self.flushLogs()
                self.publish()
                channel.closeFuture.whenComplete { _ in
                    guard self.webSocketAPI === channel else { return }
                    self.webSocketAPI = nil
                    self.framesContext.forget()
                    if !self.stopping { self.note(.warning, "reconnect", ["stream": "ws_api", "state": "lost"]) }
                    self.failPending()
                    self.flushLogs()
                    self.publish()
                    self.retryWebSocketAPI()
                }
            case .failure:
                if !rotation { self.retryWebSocketAPI() }
            }
        }
    }

    private func retryWebSocketAPI() {
        guard !stopping else { return }
        let wait = webSocketAPIBackoff
        webSocketAPIBackoff = .nanoseconds(min(webSocketAPIBackoff.nanoseconds * 2, TimeAmount.seconds(30).nanoseconds))
        loop.scheduleTask(in: .nanoseconds(Int64.random(in: wait.nanoseconds / 2...wait.nanoseconds))) { self.connectWebSocketAPI() }
    }

    /// Before the venue's 24 h limit: new connections for the WebSocket API and the user stream, opened
    /// before the old ones close.
    func rotateConnections() {
        guard !stopping else { return }
        connectWebSocketAPI(rotation: true)
        if let key = listenKey { connectUserStream(key, rotation: true) }
    }

    // MARK: User data stream (on `loop`)

    /// The routed private endpoint: `/private/ws?listenKey=…&events=…` (the legacy `/ws/<key>` no longer
    /// carries user data since 2026-04-23).
    static func userStreamPath(listenKey: String) -> String {
        "/private/ws?listenKey=\(listenKey)&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE/ACCOUNT_CONFIG_UPDATE/listenKeyExpired"
    }

    /// Creates (or renews) the listen key and connects the user stream; the manager reconciles before it
    /// quotes again.
    func openUserStream() {
        guard !stopping else { return }
        restCall(.POST, "/fapi/v1/listenKey", query: "", signed: false).whenComplete { result in
            guard case .success(let reply) = result, reply.status == 200, let key = (try? JSONValue.parse(reply.body))?["listenKey"]?.text else {
                self.retryUserStream()
                return
            }
            if self.listenKey != nil && self.listenKey != key { self.listenKeyRenewals += 1 }
            self.listenKey = key
            self.listenKeySince = self.nowNanos
            self.connectUserStream(key, rotation: false)
        }
    }

    private func connectUserStream(_ key: String, rotation: Bool) {
        let handler = NIOLoopBound(TextFrameHandler { [unowned self] bytes in self.onUserFrame(bytes) }, eventLoop: loop)
        WebSocketConnector.connect(configuration.userStream, path: Self.userStreamPath(listenKey: key), on: loop, watchdog: watchdog) { handler.value }
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    let old = self.userStream
                    self.userStream = channel
                    self.userStreamBackoff = .milliseconds(200)
                    channel.closeFuture.whenComplete { _ in
                        guard self.userStream === channel else { return }
                        self.userStream = nil
                        self.userStreamLost()
                    }
                    if rotation, let old {
                        // Both deliver for a moment (fills count once, by trade ID); no gap, so no reconciliation.
                        self.rotations += 1
                        old.close(promise: nil)
                    } else {
                        self.input { $0.userStream(connected: true, at: self.now) }
                    }
                case .failure:
                    if !rotation { self.retryUserStream() }
                }
            }
    }

    private func userStreamLost() {
        guard !stopping else { return }
        note(.warning, "reconnect", ["stream": "user_stream", "state": "lost"])
        input { $0.userStream(connected: false, at: self.now) }
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
        restCall(.PUT, "/fapi/v1/listenKey", query: "", signed: false).whenSuccess { reply in
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
            flushLogs()
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
            input { $0.report(report, at: self.now) }
        case .account(let update):
            input { $0.account(update, at: self.now) }
        case .listenKeyExpired:
            listenKeyRenewals += 1
            note(.warning, "listen_key.expired")
            userStream?.close(promise: nil)
        case .other:
            break
        }
    }

    // MARK: Cancel-all, reconciliation, heartbeat (on `loop`)

    /// `DELETE /fapi/v1/allOpenOrders`: every open order of the symbol, in one request.
    func cancelAllAtVenue(_ token: UInt64) {
        if configuration.dryRun {
            dryOrders.removeAll()
            loop.execute { self.input { $0.cancelAllReply(token: token, .done, at: self.now) } }
            return
        }
        deferredREST.append {
            self.restCall(.DELETE, "/fapi/v1/allOpenOrders", query: "symbol=\(self.configuration.instrument.symbol)", signed: true, essential: true)
                .whenComplete { result in
                    let outcome: RequestOutcome
                    switch result {
                    case .success(let r) where r.status == 200:
                        outcome = .done
                    case .success(let r):
                        let code = (try? JSONValue.parse(r.body))?["code"]?.int64.map { Int(clamping: $0) } ?? -1000
                        outcome = BinanceReplies.outcome(code: code, httpStatus: r.status, retryAfterMillis: BinanceReplies.retryAfterMillis(r.headers.first(name: "Retry-After")))
                    case .failure:
                        outcome = .unknown
                    }
                    self.input { $0.cancelAllReply(token: token, outcome, at: self.now) }
                }
        }
    }

    /// Open orders and the position over REST, for the manager to reconcile with; then, at most every 10 s,
    /// today's income (the truth when fills happened while no engine listened).
    func reconcileWithVenue(_ token: UInt64) {
        if configuration.dryRun {
            let open = Array(dryOrders.values)
            // Read once the manager's current step is over: this runs inside it, and `session` is in use.
            loop.execute {
                let position = self.session.manager.position
                self.input {
                    $0.reconciled(token: token, VenueSnapshot(openOrders: open, position: position, entryPrice: .zero, positionTimeMillis: 0), at: self.now)
                }
            }
            return
        }
        deferredREST.append {
            let symbol = self.configuration.instrument.symbol
            let orders = self.restCall(.GET, "/fapi/v1/openOrders", query: "symbol=\(symbol)", signed: true, essential: true)
            let position = self.restCall(.GET, "/fapi/v3/positionRisk", query: "symbol=\(symbol)", signed: true, essential: true)
            orders.and(position).whenComplete { result in
                guard case .success(let (o, p)) = result, o.status == 200, p.status == 200,
                    let open = (try? JSONValue.parse(o.body))?.arrayValue, let risk = (try? JSONValue.parse(p.body))?.arrayValue
                else {
                    var outcome = RequestOutcome.unknown
                    if case .success(let (o, p)) = result {
                        let bad = o.status != 200 ? o : p
                        let code = (try? JSONValue.parse(bad.body))?["code"]?.int64.map { Int(clamping: $0) } ?? -1000
                        outcome = BinanceReplies.outcome(code: code, httpStatus: bad.status, retryAfterMillis: BinanceReplies.retryAfterMillis(bad.headers.first(name: "Retry-After")))
                    }
                    self.input { $0.reconcileFailed(token: token, outcome, at: self.now) }
                    return
                }
                var quantity = Quantity.zero
                var entry = Price.zero
                var time: Int64 = 0
                for r in risk where r["symbol"]?.text == symbol.description && (r["positionSide"]?.text ?? "BOTH") == "BOTH" {
                    quantity = r["positionAmt"]?.text.flatMap { Quantity($0) } ?? .zero
                    entry = r["entryPrice"]?.text.flatMap { Price($0) } ?? .zero
                    time = r["updateTime"]?.int64 ?? 0
                }
                let snapshot = VenueSnapshot(openOrders: open.compactMap(BinanceReplies.venueOrder), position: quantity, entryPrice: entry, positionTimeMillis: time)
                let first = self.session.manager.counters.reconciliations == 0
                self.input { $0.reconciled(token: token, snapshot, at: self.now) }
                if first {
                    let atVenue = Set(snapshot.openOrders.map(\.clientOrderID.description))
                    self.journalResolvedWhileDown = self.journalOpenAtStart.filter { !atVenue.contains($0) }.count
                }
                if self.nowNanos - self.incomeFetchedNanos > 10_000_000_000 {
                    self.incomeFetchedNanos = self.nowNanos
                    self.restoreDayFromVenue()
                }
            }
        }
    }

    /// `countdownCancelAll`: unless renewed, the venue cancels our orders when the countdown ends (the
    /// manager stops renewing it once halted, so it is the backstop; 0 switches it off).
    func heartbeat(countdownMillis: Int64) {
        guard !configuration.dryRun else { return }
        deferredREST.append {
            _ = self.restCall(
                .POST, "/fapi/v1/countdownCancelAll", query: "symbol=\(self.configuration.instrument.symbol)&countdownTime=\(countdownMillis)",
                signed: true, essential: countdownMillis == 0)
        }
    }

    // MARK: Income (on `loop`)

    struct IncomeTotals {
        var realized = Notional.zero
        var fees = Notional.zero
        var funding = Notional.zero
        var entries = 0
        var tradeIDs: [Int64] = []
        var seen: Set<Int64> = []
    }

    /// Today's realized PnL, commission and funding from the venue's income history (`GET /fapi/v1/income`
    /// since UTC midnight, 1000 entries a page).
    func restoreDayFromVenue() {
        let dayStart = venueMillis / 86_400_000 * 86_400_000
        fetchIncome(since: dayStart, IncomeTotals()) { totals in
            guard let totals, !self.stopping else {
                self.note(.warning, "income.unavailable", ["kept": "journal"])
                self.flushLogs()
                return
            }
            self.input { $0.venueDay(realized: totals.realized, fees: totals.fees, funding: totals.funding, tradeIDs: totals.tradeIDs, at: self.now) }
        }
    }

    private func fetchIncome(since: Int64, _ sum: IncomeTotals, _ done: @escaping @Sendable (IncomeTotals?) -> Void) {
        let query = "startTime=\(since)&limit=1000"
        restCall(.GET, "/fapi/v1/income", query: query, signed: true).whenComplete { result in
            guard case .success(let reply) = result, reply.status == 200, let items = (try? JSONValue.parse(reply.body))?.arrayValue else {
                done(nil)
                return
            }
            var sum = sum
            var last = since
            let symbol = self.configuration.instrument.symbol.description
            for item in items {
                guard let id = item["tranId"]?.int64, sum.seen.insert(id).inserted, let amount = item["income"]?.text.flatMap({ Notional($0) }),
                    item["asset"]?.text ?? self.configuration.settlementAsset == self.configuration.settlementAsset
                else { continue }
                let ofSymbol = (item["symbol"]?.text ?? "") == symbol
                switch item["incomeType"]?.text {
                case "REALIZED_PNL" where ofSymbol: sum.realized = sum.realized.clampedAdding(amount)
                case "COMMISSION" where ofSymbol: sum.fees = sum.fees.clampedSubtracting(amount)
                case "FUNDING_FEE" where ofSymbol: sum.funding = sum.funding.clampedAdding(amount)
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

    // MARK: Clock (on `loop`)

    /// Measures the venue clock's offset from ours (half the round trip counted).
    func syncClock() { _ = syncClockFuture() }

    func syncClockFuture() -> EventLoopFuture<Void> {
        let sent = UnixNanos.now().millis
        return restCall(.GET, "/fapi/v1/time", query: "", signed: false).map { reply in
            guard reply.status == 200, let server = (try? JSONValue.parse(reply.body))?["serverTime"]?.int64 else { return }
            let now = UnixNanos.now().millis
            self.clockOffsetMillis = server - (sent + now) / 2
            self.clockResyncs += 1
        }.recover { _ in }
    }

    /// A -1021 from the venue: our clock offset is stale; measure it again, at most once a second.
    func clockSkewSeen() {
        guard nowNanos - restClockSyncNanos > 1_000_000_000 else { return }
        restClockSyncNanos = nowNanos
        syncClock()
    }

    // MARK: REST (on `loop`)

    /// A REST call over the keep-alive connections, signed when asked (timestamp, recvWindow and signature
    /// appended), counted by endpoint, its weight headers fed to the shared budget.
    func restCall(_ method: HTTPMethod, _ path: String, query: String, signed: Bool, essential: Bool = false) -> EventLoopFuture<HTTPReply> {
        var q = query
        if signed {
            q += (q.isEmpty ? "" : "&") + "timestamp=\(venueMillis)&recvWindow=\(configuration.recvWindowMillis)"
            q += "&signature=" + signer.signature(of: q, urlEncoded: true)
        }
        return restRaw(method, path, query: q, essential: essential)
    }

    /// While the shared budget is closed (the venue answered 429 or 418 and said how long to wait), every
    /// request is answered at once with a 429 of our own, and its sender retries after the wait: the venue
    /// refuses them all then anyway, and bans an IP that keeps sending. `essential` requests (cancels,
    /// queries, reconciliation: they reduce risk) may use the last tenth of the minute's weight.
    func restRaw(_ method: HTTPMethod, _ path: String, query: String, essential: Bool) -> EventLoopFuture<HTTPReply> {
        let budget = configuration.budget
        if !budget.allows(weight: 1, essential: essential) {
            var headers = HTTPHeaders()
            headers.add(name: "Retry-After", value: String(max(1, (budget.closedUntilNanos - nowNanos) / 1_000_000_000)))
            return loop.makeSucceededFuture(HTTPReply(status: 429, headers: headers, body: Array(#"{"code":-1003,"msg":"held back: the request-weight budget is spent"}"#.utf8)))
        }
        snapshot.restCalls += 1
        restCallsByEndpoint["\(method) \(path)", default: 0] += 1
        let target = query.isEmpty ? path : path + "?" + query
        return rest.send(
            method, path: target, headers: [("X-MBX-APIKEY", configuration.credentials.apiKey)], timeout: .seconds(configuration.requestTimeoutSeconds)
        ).map { reply in
            self.configuration.budget.observe(status: reply.status, headers: reply.headers)
            if let count = reply.headers.first(name: "X-MBX-ORDER-COUNT-10S").flatMap({ Int($0) }),
                count * 10 >= self.configuration.orderLimitPer10Seconds * 9
            {
                self.input { $0.throttleNewOrders(until: self.nowNanos + 10_000_000_000) }
            }
            if reply.status == 400, reply.body.count < 512, String(decoding: reply.body, as: UTF8.self).contains("-1021") { self.clockSkewSeen() }
            return reply
        }
    }
}
