import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMExecution
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension OrderGateway {
    // MARK: Sending (on `loop`)

    /// Signs and sends one order request: WebSocket API when connected, REST otherwise; locally acknowledged
    /// in dry-run.
    func send(_ request: OrderRequest) {
        if configuration.dryRun {
            dryRun(request)
            return
        }
        let sent = nowNanos
        if let channel = webSocketAPI {
            encoder.encode(request, apiKey: configuration.credentials.apiKey, timestamp: venueMillis, recvWindow: configuration.recvWindowMillis)
            var id = requestID(request)
            pending[id] = PendingRequest(request: request, sentNanos: sent)
            withUnsafeTemporaryAllocation(byteCount: RequestSigner.maxSignatureLength, alignment: 8) { sig in
                let n = signer.sign(encoder.payload, into: sig, urlEncoded: false)
                id.withUTF8 { idBytes in
                    let json = encoder.webSocketJSON(
                        id: UnsafeRawBufferPointer(idBytes), method: request.method, signature: UnsafeRawBufferPointer(rebasing: sig[0..<n]))
                    var buffer = channel.allocator.buffer(capacity: json.count)
                    buffer.writeBytes(json)
                    let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
                    if batching { channel.write(frame, promise: nil) } else { channel.writeAndFlush(frame, promise: nil) }
                }
            }
            return
        }
        snapshot.restFallbacks += 1
        let method: HTTPMethod
        switch request.kind {
        case .placeLimit, .placeMarket: method = .POST
        case .cancel: method = .DELETE
        case .modify: method = .PUT
        case .query: method = .GET
        }
        encoder.encode(request, apiKey: nil, timestamp: venueMillis, recvWindow: configuration.recvWindowMillis)
        let query = withUnsafeTemporaryAllocation(byteCount: RequestSigner.maxSignatureLength, alignment: 8) { sig in
            let n = signer.sign(encoder.payload, into: sig, urlEncoded: true)
            return String(decoding: encoder.restQuery(signature: UnsafeRawBufferPointer(rebasing: sig[0..<n])), as: UTF8.self)
        }
        restRaw(method, "/fapi/v1/order", query: query).whenComplete { result in
            switch result {
            case .success(let reply):
                self.roundTrip.record(nanos: self.nowNanos - sent)
                self.handleOrderReply(request, status: reply.status, doc: try? JSONValue.parse(reply.body))
            case .failure:
                // Outcome unknown: the user stream or the next reconciliation tells.
                self.handleOrderReply(request, status: 503, doc: .object([("code", .number("-1007"))]))
            }
        }
    }

    private func requestID(_ r: OrderRequest) -> String {
        let kind: String
        switch r.kind {
        case .placeLimit, .placeMarket: kind = "p"
        case .cancel: kind = "c"
        case .modify: kind = "m"
        case .query: kind = "q"
        }
        return kind + "-" + r.clientOrderID.description
    }

    private func dryRun(_ r: OrderRequest) {
        switch r.kind {
        case .placeLimit, .placeMarket:
            tracker.acknowledged(r.clientOrderID, venueOrderID: VenueOrderID(Int64(sequence)))
            snapshot.ordersAcked += 1
        case .cancel:
            tracker.forget(r.clientOrderID)
        case .modify:
            tracker.modified(r.clientOrderID, price: r.price, quantity: r.quantity)
        case .query:
            break
        }
        journal?.append(#"{"e":"dry_run","m":"\#(r.method.description)","c":"\#(r.clientOrderID)","s":"\#(r.side)","p":"\#(r.price)","q":"\#(r.quantity)"}"#)
    }

    /// A reply to an order request (WebSocket API `result`/`error`, or a REST body).
    func handleOrderReply(_ request: OrderRequest, status: Int, doc: JSONValue?) {
        let id = request.clientOrderID
        if status == 200, let doc {
            switch request.kind {
            case .placeLimit, .placeMarket:
                snapshot.ordersAcked += 1
                let venueID = VenueOrderID(doc["orderId"]?.int64 ?? 0)
                if tracker.orders[id]?.state == .pendingNew { tracker.acknowledged(id, venueOrderID: venueID) }
                if let s = doc["status"]?.text, let st = OrderStatus(rawValue: s), st.isFinal, st != .filled {
                    tracker.forget(id)
                }
            case .cancel:
                tracker.forget(id)
                journal?.append(#"{"e":"cancelled","c":"\#(id)"}"#)
                note(.info, "order.cancelled", ["id": "\(id)"])
            case .modify:
                tracker.modified(id, price: request.price, quantity: request.quantity)
            case .query:
                break
            }
            publish()
            return
        }
        let code = doc?["code"]?.int64.map(Int.init) ?? -1000
        snapshot.venueRejects += 1
        rejectsByCode[String(code), default: 0] += 1
        switch VenueErrorClass.classify(code: code, httpStatus: status) {
        case .postOnlyReject:
            snapshot.postOnlyRejects += 1
            _ = tracker.rejected(id, code: code)
        case .rateLimited:
            backoffUntilNanos = max(backoffUntilNanos, nowNanos + 10_000_000_000)
            _ = tracker.rejected(id, code: code)
        case .clockSkew:
            syncClock()
            _ = tracker.rejected(id, code: code)
        case .unknownOrder:
            _ = tracker.rejected(id, code: -2011)
        case .retryable:
            // Unknown outcome: keep the order as it is; the user stream or reconciliation settles it.
            if request.kind == .placeLimit || request.kind == .placeMarket { scheduleReconcile() }
            else { _ = tracker.rejected(id, code: code) }
        case .rejected:
            _ = tracker.rejected(id, code: code)
        }
        journal?.append(#"{"e":"rejected","c":"\#(id)","m":"\#(request.method.description)","code":\#(code)}"#)
        let errorClass = VenueErrorClass.classify(code: code, httpStatus: status)
        note(errorClass == .postOnlyReject ? .info : .warning, "order.rejected", [
            "id": "\(id)", "method": "\(request.method.description)", "code": "\(code)", "class": "\(errorClass.rawValue)",
        ])
        publish()
    }

    // MARK: WebSocket API (on `loop`)

    func connectWebSocketAPI() {
        guard let endpoint = configuration.webSocketAPI, !stopping, webSocketAPI == nil else { return }
        let handler = NIOLoopBound(TextFrameHandler { [unowned self] bytes in self.onWebSocketAPIFrame(bytes) }, eventLoop: loop)
        WebSocketConnector.connect(endpoint, path: "", on: loop) { handler.value }.whenComplete { result in
            switch result {
            case .success(let channel):
                self.webSocketAPI = channel
                self.webSocketAPIBackoff = .milliseconds(200)
                self.note(.info, "reconnect", ["stream": "ws_api", "state": "connected"])
                self.publish()
                channel.closeFuture.whenComplete { _ in
                    self.webSocketAPI = nil
                    if !self.stopping { self.note(.warning, "reconnect", ["stream": "ws_api", "state": "lost"]) }
                    self.failPending()
                    self.publish()
                    self.retryWebSocketAPI()
                }
            case .failure:
                self.retryWebSocketAPI()
            }
        }
    }

    private func retryWebSocketAPI() {
        guard !stopping else { return }
        let wait = webSocketAPIBackoff
        webSocketAPIBackoff = .nanoseconds(min(webSocketAPIBackoff.nanoseconds * 2, TimeAmount.seconds(30).nanoseconds))
        loop.scheduleTask(in: .nanoseconds(Int64.random(in: wait.nanoseconds / 2...wait.nanoseconds))) { self.connectWebSocketAPI() }
    }

    /// Requests in flight when the WebSocket API went away have unknown outcomes: reconcile.
    private func failPending() {
        guard !pending.isEmpty else { return }
        for (_, p) in pending {
            switch p.request.kind {
            case .cancel, .modify: _ = tracker.rejected(p.request.clientOrderID, code: -1007)
            default: break
            }
        }
        pending.removeAll(keepingCapacity: true)
        scheduleReconcile()
    }

    private func onWebSocketAPIFrame(_ bytes: UnsafeRawBufferPointer) {
        guard let doc = try? JSONValue.parse(bytes), let id = doc["id"]?.text, let p = pending.removeValue(forKey: id) else { return }
        roundTrip.record(nanos: nowNanos - p.sentNanos)
        for limit in doc["rateLimits"]?.arrayValue ?? [] where limit["rateLimitType"]?.text == "REQUEST_WEIGHT" {
            snapshot.usedWeight = Int(limit["count"]?.int64 ?? 0)
        }
        let status = Int(doc["status"]?.int64 ?? 0)
        if status == 200, let result = doc["result"] {
            handleOrderReply(p.request, status: 200, doc: result)
        } else {
            handleOrderReply(p.request, status: status, doc: doc["error"])
        }
    }

    // MARK: REST (on `loop`)

    /// A REST call, signed when asked (timestamp, recvWindow and signature appended), counted by endpoint.
    func rest(_ method: HTTPMethod, _ path: String, query: String, signed: Bool) -> EventLoopFuture<HTTPReply> {
        var q = query
        if signed {
            q += (q.isEmpty ? "" : "&") + "timestamp=\(venueMillis)&recvWindow=\(configuration.recvWindowMillis)"
            q += "&signature=" + signer.signature(of: q, urlEncoded: true)
        }
        return restRaw(method, path, query: q)
    }

    func restRaw(_ method: HTTPMethod, _ path: String, query: String) -> EventLoopFuture<HTTPReply> {
        snapshot.restCalls += 1
        restCallsByEndpoint["\(method) \(path)", default: 0] += 1
        let target = query.isEmpty ? path : path + "?" + query
        return HTTPClient.send(
            method, configuration.rest, path: target, headers: [("X-MBX-APIKEY", configuration.credentials.apiKey)], on: loop,
            timeout: .seconds(configuration.requestTimeoutSeconds)
        ).map { reply in
            if let w = reply.headers.first(name: "X-MBX-USED-WEIGHT-1M").flatMap(Int.init) { self.snapshot.usedWeight = w }
            if let c = reply.headers.first(name: "X-MBX-ORDER-COUNT-10S").flatMap(Int.init) { self.orderCount10s = max(self.orderCount10s, c) }
            if reply.status == 429 || reply.status == 418 {
                let wait = reply.headers.first(name: "Retry-After").flatMap(Int64.init) ?? 10
                self.backoffUntilNanos = max(self.backoffUntilNanos, self.nowNanos + wait * 1_000_000_000)
            }
            // -1021 on any signed request (not only orders): our clock offset is stale; measure it again, at
            // most once a second.
            if reply.status == 400, reply.body.count < 512, String(decoding: reply.body, as: UTF8.self).contains("-1021"),
                self.nowNanos - self.restClockSyncNanos > 1_000_000_000
            {
                self.restClockSyncNanos = self.nowNanos
                self.syncClock()
            }
            return reply
        }
    }

    /// Measures the venue clock's offset from ours (half the round trip counted).
    func syncClock() {
        let sent = UnixNanos.now().millis
        rest(.GET, "/fapi/v1/time", query: "", signed: false).whenSuccess { reply in
            guard reply.status == 200, let server = (try? JSONValue.parse(reply.body))?["serverTime"]?.int64 else { return }
            let now = UnixNanos.now().millis
            self.clockOffsetMillis = server - (sent + now) / 2
            self.clockResyncs += 1
            self.note(.debug, "clock.sync", ["offset_ms": "\(self.clockOffsetMillis)"])
        }
    }

    /// `countdownCancelAll`: if the engine dies, the venue cancels our orders after three missed beats.
    func heartbeat() {
        guard !stopping else { return }
        let countdown = configuration.heartbeatSeconds * 3000
        _ = rest(.POST, "/fapi/v1/countdownCancelAll", query: "symbol=\(configuration.instrument.symbol)&countdownTime=\(countdown)", signed: true)
    }

    func stopHeartbeat() -> EventLoopFuture<Void> {
        guard configuration.heartbeatSeconds > 0, !configuration.dryRun else { return loop.makeSucceededVoidFuture() }
        return rest(.POST, "/fapi/v1/countdownCancelAll", query: "symbol=\(configuration.instrument.symbol)&countdownTime=0", signed: true)
            .map { _ in }.recover { _ in }
    }
}
