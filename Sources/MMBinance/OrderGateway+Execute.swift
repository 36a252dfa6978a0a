import Logging
import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMExecution
import MMNet
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension OrderGateway {
    // MARK: Carrying out the manager's actions (on `loop`)

    public func execute(_ action: OrderAction, at now: Moment) {
        if batchTickNanos != 0 && batchDecidedNanos == 0 { batchDecidedNanos = nowNanos }
        switch action {
        case .place(let s):
            batchOrders += 1
            pendingLogs.append(.submitted(s))
            send(OrderRequest(
                kind: s.kind == .postOnlyLimit ? .placeLimit : .placeMarket, symbol: configuration.instrument.symbol, side: s.side, price: s.price,
                quantity: s.quantity, clientOrderID: s.clientOrderID, reduceOnly: s.reduceOnly), as: .place)
        case .modify(let id, let side, let price, let quantity):
            batchOrders += 1
            send(OrderRequest(kind: .modify, symbol: configuration.instrument.symbol, side: side, price: price, quantity: quantity, clientOrderID: id), as: .modify)
        case .cancel(let id):
            send(OrderRequest(kind: .cancel, symbol: configuration.instrument.symbol, clientOrderID: id), as: .cancel)
        case .query(let id):
            send(OrderRequest(kind: .query, symbol: configuration.instrument.symbol, clientOrderID: id), as: .query)
        case .cancelAll(let token):
            cancelAllAtVenue(token)
        case .reconcile(let token):
            reconcileWithVenue(token)
        case .heartbeat(let countdown):
            heartbeat(countdownMillis: countdown)
        case .reconnectUserStream:
            note(.warning, "user_stream.silent", ["action": "reconnect"])
            userStream?.close(promise: nil)
        case .journal(let record):
            journal?.append(record)
            if case .closed(let id, let status) = record, status != .filled, status != .canceled {
                note(.debug, "order.closed", ["id": "\(id)", "status": "\(status.rawValue)"])
            }
        case .note(let event):
            describe(event)
        }
    }

    /// The WebSocket API writes of the batch are flushed and deferred REST requests sent; then its journal
    /// records are written (and synced, with `JournalSync.batch`) and its log lines written. With
    /// `JournalSync.writeAhead` the records are on disk before the requests leave instead.
    public func endOfBatch(at now: Moment) {
        if configuration.journalSync == .writeAhead, let journal, !journal.commit() {
            // The batch's REST requests are dropped; the manager halts and cancels what went out.
            deferredREST.removeAll()
            journalWriteFailed(journal)
        }
        writeBatchFrames()
        let handedOver = nowNanos
        if batchHasWrites || warmPongWritten {
            webSocketAPI?.flush()
            batchHasWrites = false
            warmPongWritten = false
        }
        // Cleared once flushed: the channel has let go of the frames then (unless the socket was full), so
        // the buffer keeps its memory for the next batch.
        batchFrames.clear()
        if !deferredREST.isEmpty {
            let calls = deferredREST
            deferredREST.removeAll(keepingCapacity: true)
            for call in calls { call() }
        }
        if batchOrders > 0 && batchTickNanos != 0 {
            let flushed = nowNanos
            for _ in 0..<batchOrders { tickToSend.record(nanos: flushed - batchTickNanos) }
            gatewayWork.record(nanos: handedOver - batchPickedNanos)
            gatewayDecision.record(nanos: batchDecidedNanos - batchPickedNanos)
            gatewaySend.record(nanos: handedOver - batchDecidedNanos)
            socketWrite.record(nanos: flushed - handedOver)
        }
        batchOrders = 0
        batchDecidedNanos = 0
        if configuration.journalSync != .writeAhead, let journal, !journal.commit() { journalWriteFailed(journal) }
        if journalSyncAfterBatch {
            journalSyncAfterBatch = false
            journal?.sync()
        }
        flushLogs()
    }

    /// The journal could not take a batch: the manager (re-entered once this batch is done) halts and cancels.
    private func journalWriteFailed(_ journal: Journal) {
        note(.critical, "journal.write_failed", ["path": "\(journal.path)", "action": "halt"])
        loop.execute { self.input { $0.journalFailed(at: self.now) } }
    }

    // MARK: Orders

    /// Signs and sends one order request: over the WebSocket API when connected, over REST otherwise;
    /// acknowledged locally in dry-run.
    func send(_ request: OrderRequest, as kind: RequestKind) {
        if configuration.dryRun {
            dryRun(request, kind)
            return
        }
        let sent = nowNanos
        if let channel = webSocketAPI {
            nextRequestID &+= 1
            let rid = nextRequestID
            pending[rid] = PendingRequest(clientOrderID: request.clientOrderID, kind: kind, sentNanos: sent)
            if encoderContext(of: channel) != nil {
                appendFrame(request, id: rid)
            } else {
                channel.write(webSocketFrame(request, id: rid, allocator: channel.allocator), promise: nil)
            }
            batchHasWrites = true
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
        let id = request.clientOrderID
        deferredREST.append {
            self.restRaw(method, "/fapi/v1/order", query: query, essential: kind != .place && kind != .modify).whenComplete { result in
                self.roundTrip.record(nanos: self.nowNanos - sent)
                let reply: VenueReply
                switch result {
                case .success(let r):
                    reply = self.venueReply(status: r.status, body: r.body, retryAfterMillis: BinanceReplies.retryAfterMillis(r.headers.first(name: "Retry-After")))
                case .failure:
                    reply = .unknown
                }
                self.input { $0.reply(id, to: kind, reply, at: self.now) }
            }
        }
    }

    /// A REST or WebSocket API answer to an order request.
    func venueReply(status: Int, body: [UInt8], retryAfterMillis: Int64) -> VenueReply {
        guard let doc = try? JSONValue.parse(body) else { return .unknown }
        if status == 200, let order = BinanceReplies.venueOrder(doc) { return .accepted(order) }
        let code = doc["code"]?.int64.map { Int(clamping: $0) } ?? -1000
        if code == -1021 { clockSkewSeen() }
        return BinanceReplies.reply(code: code, httpStatus: status, retryAfterMillis: retryAfterMillis)
    }

    /// The context of `channel`'s WebSocket frame encoder (looked up once a connection), or nil when it has none.
    func encoderContext(of channel: Channel) -> ChannelHandlerContext? { framesContext.of(channel) }

    /// Appends `request` to the batch's frames: encoded, signed, framed and masked in place.
    func appendFrame(_ request: OrderRequest, id rid: UInt64) {
        withSignedJSON(request, id: rid) { json in ClientFrames.appendText(json, key: maskingKeys.key(), to: &batchFrames) }
    }

    /// Calls `body` with `request` as WebSocket API JSON, encoded and signed, with request id `rid`.
    func withSignedJSON<R>(_ request: OrderRequest, id rid: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        encoder.encode(request, apiKey: configuration.credentials.apiKey, timestamp: venueMillis, recvWindow: configuration.recvWindowMillis)
        return withUnsafeTemporaryAllocation(byteCount: RequestSigner.maxSignatureLength + 24, alignment: 8) { scratch in
            let sig = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<RequestSigner.maxSignatureLength])
            let n = signer.sign(encoder.payload, into: sig, urlEncoded: false)
            let idBytes = UnsafeMutableRawBufferPointer(rebasing: scratch[RequestSigner.maxSignatureLength...])
            let idLength = Self.writeDecimal(rid, into: idBytes)
            return body(encoder.webSocketJSON(
                id: UnsafeRawBufferPointer(rebasing: idBytes[0..<idLength]), method: request.method, signature: UnsafeRawBufferPointer(rebasing: sig[0..<n])))
        }
    }

    /// Writes the batch's frames below the channel's frame encoder (they are framed already), in one buffer.
    func writeBatchFrames() {
        guard batchFrames.readableBytes > 0 else { return }
        if let channel = webSocketAPI, let context = encoderContext(of: channel) {
            context.write(NIOAny(batchFrames), promise: nil)
        }
    }

    /// One WebSocket API request, encoded, signed and framed (masked with a fresh key), for the channel's
    /// frame encoder (where its context cannot be found), in a buffer that leaves the frame header's room (at
    /// most 14 bytes) in front: the encoder writes the header there instead of into a buffer of its own, and
    /// the frame goes out as one piece.
    func webSocketFrame(_ request: OrderRequest, id rid: UInt64, allocator: ByteBufferAllocator) -> WebSocketFrame {
        withSignedJSON(request, id: rid) { json in
            var buffer = allocator.buffer(capacity: json.count + 14)
            buffer.moveWriterIndex(forwardBy: 14)
            buffer.moveReaderIndex(forwardBy: 14)
            buffer.writeBytes(json)
            return WebSocketFrame(fin: true, opcode: .text, maskKey: maskingKeys.key(), data: buffer)
        }
    }

    /// Runs the tick's path once without trading, so that the code and data of the next tick are in the
    /// caches: the manager rehearses the last tick's intent (`OrderManager.rehearse`, which changes
    /// nothing); a cancel of no order is encoded, signed and framed, then dropped; and an empty
    /// unsolicited pong (RFC 6455 §5.5.3; Binance allows them and asks for an empty payload) goes down the
    /// channel's pipeline without a flush, so that it leaves with the next batch (or the next timer's
    /// flush if none comes). The venue takes at most 5 pings and pongs a second on the WebSocket API, so
    /// these pongs are held to `warmPongsPerSecond` in any second, leaving room for the watchdog's pings
    /// and the answers to the venue's.
    public func warmSendPath() {
        guard loop.inEventLoop, !configuration.dryRun, let channel = webSocketAPI else { return }
        // The manager's part of the tick first, then the send path, in the order the tick runs them.
        if let intent = lastIntent { session.manager.rehearse(intent, at: now) }
        // Framed into the batch's buffer and taken back out; the encoder's context looked up as a send does.
        _ = encoderContext(of: channel)
        let mark = batchFrames.writerIndex
        appendFrame(OrderRequest(kind: .cancel, symbol: configuration.instrument.symbol, clientOrderID: warmUpID), id: 0)
        batchFrames.moveWriterIndex(to: mark)
        _ = pending[0]
        let now = nowNanos
        if !warmPongWritten && now - warmPongTimes[warmPongNext] >= 1_000_000_000 {
            channel.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: maskingKeys.key(), data: ByteBuffer()), promise: nil)
            warmPongWritten = true
            warmPongTimes[warmPongNext] = now
            warmPongNext = (warmPongNext + 1) % Self.warmPongsPerSecond
        }
    }

    /// Warm-up pongs in any second at most: with the watchdog's ping and an answer to the venue's, within
    /// the WebSocket API's 5 a second.
    static var warmPongsPerSecond: Int { 3 }

    static func writeDecimal(_ v: UInt64, into out: UnsafeMutableRawBufferPointer) -> Int {
        var digits = 0
        var x = v
        repeat {
            digits += 1
            x /= 10
        } while x > 0
        x = v
        for i in stride(from: digits - 1, through: 0, by: -1) {
            out[i] = UInt8(ascii: "0") + UInt8(x % 10)
            x /= 10
        }
        return digits
    }

    private func dryRun(_ r: OrderRequest, _ kind: RequestKind) {
        let id = r.clientOrderID
        let reply: VenueReply
        switch r.kind {
        case .placeLimit, .placeMarket:
            sequence += 1
            let o = VenueOrder(
                clientOrderID: id, venueOrderID: VenueOrderID(Int64(sequence)), side: r.side, price: r.price, quantity: r.quantity, executed: .zero,
                status: r.kind == .placeMarket ? .expired : .new, reduceOnly: r.reduceOnly)
            if r.kind == .placeLimit { dryOrders[id] = o }
            reply = .accepted(o)
        case .cancel:
            if var o = dryOrders.removeValue(forKey: id) {
                o.status = .canceled
                reply = .accepted(o)
            } else {
                reply = .refused(.unknownOrder, code: -2011, retryAfterMillis: 0)
            }
        case .modify:
            if var o = dryOrders[id] {
                o.price = r.price
                o.quantity = r.quantity
                dryOrders[id] = o
                reply = .accepted(o)
            } else {
                reply = .refused(.unknownOrder, code: -2013, retryAfterMillis: 0)
            }
        case .query:
            reply = dryOrders[id].map { .accepted($0) } ?? .refused(.unknownOrder, code: -2013, retryAfterMillis: 0)
        }
        loop.execute { self.input { $0.reply(id, to: kind, reply, at: self.now) } }
    }

    // MARK: WebSocket API answers

    func onWebSocketAPIFrame(_ bytes: UnsafeRawBufferPointer) {
        webSocketAPIHeardNanos = nowNanos
        guard let doc = try? JSONValue.parse(bytes), let idText = doc["id"]?.text ?? doc["id"].map({ "\($0)" }),
            let rid = UInt64(idText), let p = pending.removeValue(forKey: rid)
        else { return }
        roundTrip.record(nanos: nowNanos - p.sentNanos)
        for limit in doc["rateLimits"]?.arrayValue ?? [] where limit["rateLimitType"]?.text == "REQUEST_WEIGHT" {
            if let used = limit["count"]?.int64 {
                var headers = HTTPHeaders()
                headers.add(name: "X-MBX-USED-WEIGHT-1M", value: String(used))
                configuration.budget.observe(status: 200, headers: headers)
            }
        }
        let status = Int(clamping: doc["status"]?.int64 ?? 0)
        let reply: VenueReply
        if status == 200, let result = doc["result"], let order = BinanceReplies.venueOrder(result) {
            reply = .accepted(order)
        } else {
            let error = doc["error"]
            let code = error?["code"]?.int64.map { Int(clamping: $0) } ?? -1000
            if code == -1021 { clockSkewSeen() }
            // The WebSocket API says how long a rate limit lasts in `retryAfter` (ms since the epoch).
            let retryAt = error?["data"]?["retryAfter"]?.int64 ?? 0
            let wait = retryAt > 0 ? max(0, retryAt - venueMillis) : 0
            if status == 429 || status == 418 { configuration.budget.close(forMillis: wait > 0 ? wait : 10_000) }
            reply = BinanceReplies.reply(code: code, httpStatus: status, retryAfterMillis: wait)
        }
        input { $0.reply(p.clientOrderID, to: p.kind, reply, at: self.now) }
    }

    /// Requests in flight when the WebSocket API went away have unknown outcomes.
    func failPending() {
        guard !pending.isEmpty else { return }
        let lost = pending.values.sorted { $0.sentNanos < $1.sentNanos }
        pending.removeAll(keepingCapacity: true)
        for p in lost { input { $0.reply(p.clientOrderID, to: p.kind, .unknown, at: self.now) } }
    }

    // MARK: Logs

    /// Logs an event after the batch's orders are out.
    func note(_ level: Logger.Level, _ event: String, _ metadata: Logger.Metadata = [:]) {
        pendingLogs.append(.event(level, event, metadata))
        if pendingLogs.count > 64 { flushLogs() }
    }

    func flushLogs() {
        for entry in pendingLogs {
            switch entry {
            case .event(let level, let event, let metadata):
                logger.log(level: level, "\(event)", metadata: metadata)
            case .submitted(let s):
                logger.info("order.submitted", metadata: ["id": "\(s.clientOrderID)", "side": "\(s.side)", "price": "\(s.price)", "quantity": "\(s.quantity)"])
            }
        }
        pendingLogs.removeAll(keepingCapacity: true)
    }

    /// The manager's events in the log and the counters.
    func describe(_ e: ManagerEvent) {
        switch e {
        case .riskRejected:
            break
        case .refused(let id, let kind, let refusal, let code):
            note(refusal == .postOnlyWouldCross ? .debug : .warning, "order.refused", [
                "id": "\(id)", "request": "\(kind)", "code": "\(code)", "class": "\(refusal)",
            ])
        case .filled(let id, let side, let price, let quantity, let fee, let maker):
            note(.info, "order.filled", [
                "id": "\(id)", "side": "\(side)", "price": "\(price)", "quantity": "\(quantity)", "fee": "\(fee)", "maker": "\(maker)",
            ])
        case .unknownOutcome(let id, let kind):
            note(.warning, "order.unknown_outcome", ["id": "\(id)", "request": "\(kind)", "action": "query"])
        case .resolved(let id, let found):
            note(.info, "order.resolved", ["id": "\(id)", "at_venue": "\(found)"])
        case .adopted(let id):
            note(.warning, "order.adopted", ["id": "\(id)", "action": "cancel"])
        case .halted(let reason):
            haltCount += 1
            note(reason == .shutdown ? .notice : .warning, "halt", ["reason": "\(reason.code)"])
            // On disk once the batch's cancels are out: a busy disk must not hold them back.
            journalSyncAfterBatch = true
        case .haltConfirmed:
            note(.notice, "halt.confirmed", ["open_orders": "0"])
        case .resumed:
            note(.notice, "resume")
        case .cancelAllDone:
            note(.notice, "order.cancel_all", ["status": "done"])
        case .cancelAllFailed(let code):
            note(.error, "order.cancel_all", ["status": "failed", "code": "\(code)", "action": "retry"])
        case .quotesPulled:
            note(.info, "quotes.pulled")
        case .userStreamSilent:
            note(.error, "user_stream.silent", ["action": "pull quotes, reconnect"])
        case .positionCorrected(let from, let to):
            note(.warning, "position.corrected", ["from": "\(from)", "to": "\(to)"])
        case .reconciled(let open, let adopted):
            note(.info, "reconcile", ["open_orders": "\(open)", "adopted": "\(adopted)"])
        case .fundingFee(let amount):
            note(.info, "funding_fee", ["amount": "\(amount)"])
        case .missedFill(let id):
            note(.warning, "order.missed_fill", ["id": "\(id)", "action": "reconcile"])
        case .implausibleReport:
            rejectsByCode["MALFORMED_USER_EVENT", default: 0] += 1
        case .newTradingDay:
            note(.notice, "trading_day")
        }
    }
}
