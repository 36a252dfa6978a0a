import MMBinanceWire
import MMBook
import MMCore
import NIOCore
import NIOWebSocket
import MMSimCore

/// The venue's market clock and stream fan-out. Confined to the server's single event loop: every method
/// runs there, which is what makes the unchecked `Sendable` sound.
final class StreamHub: @unchecked Sendable {
    let eventLoop: EventLoop
    var markets: [Symbol: SimMarket]
    /// Order entry and accounts.
    var exchange: SimExchange
    /// How each account's requests are verified, by API key.
    private let verifiers: [String: SignatureVerifier]
    /// Request weight and order-count limits.
    var limits: RateLimits
    /// Injected faults in force and their counts.
    var faults: FaultState
    private var encoders: [Symbol: MarketEncoder] = [:]
    private var aggregators: [Symbol: [Int: DepthAggregator]] = [:]
    private var nextFlush: [Int: Int64] = [:]
    /// The next funding time of each symbol.
    private var nextFunding: [Symbol: Int64] = [:]
    private(set) var subscribers: [ObjectIdentifier: Subscriber] = [:]
    /// When each periodic stream (by name) pushes next, and the last `u` a partial-depth stream sent.
    var nextPeriodic: [String: Int64] = [:]
    var lastPartialU: [String: Int64] = [:]
    private let speed: Double
    private var startNanos: Int64 = 0
    /// Live listen keys: owner and expiry (wall milliseconds).
    private var listenKeys: [String: (apiKey: String, expiresAt: Int64)] = [:]
    private var userChannels: [ObjectIdentifier: (channel: Channel, request: UserStreamRequest)] = [:]
    private var apiChannels: [ObjectIdentifier: Channel] = [:]
    let listenKeyValidityMillis: Int64
    private var nextExpiryCheck: Int64 = 0
    /// Dead-man timers (`countdownCancelAll`).
    private var countdowns = DeadManTimers()
    private var task: RepeatedTask?
    private var pingTask: RepeatedTask?
    /// Every upgraded WebSocket (market, user and order API), for pings.
    private var sockets: [ObjectIdentifier: Channel] = [:]
    /// What the venue enforces on WebSockets, each one's counters, and attempts per IP.
    let policy: ConnectionPolicy
    private var connections: [ObjectIdentifier: ConnectionPolicy.Connection] = [:]
    private var attempts: [String: ConnectionPolicy.Attempts] = [:]
    private var nextPolicyCheck: Int64 = 0
    /// Connections the policy closed.
    private(set) var policyClosures = 0
    /// Pongs received on WebSocket API connections.
    private(set) var orderAPIPongs = 0
    /// Counters for tests and logs.
    private(set) var framesSent = 0
    private(set) var restarts = 0

    final class Subscriber {
        let channel: Channel
        let combined: Bool
        let route: StreamName.Route
        var streams: [StreamName] = []
        init(channel: Channel, combined: Bool, route: StreamName.Route) {
            self.channel = channel
            self.combined = combined
            self.route = route
        }
    }

    init(
        eventLoop: EventLoop, scripts: [MarketScript], speed: Double, credentials: [SimServer.Credentials], startingBalance: Notional,
        listenKeyValidityMillis: Int64,
        limits: RateLimits, faults: FaultPlan, policy: ConnectionPolicy = ConnectionPolicy()
    ) {
        self.policy = policy
        self.eventLoop = eventLoop
        self.limits = limits
        self.faults = FaultState(plan: faults)
        self.speed = speed
        self.listenKeyValidityMillis = listenKeyValidityMillis
        exchange = SimExchange(accounts: credentials.map { SimAccount(id: $0.apiKey, wallet: startingBalance) })
        verifiers = Dictionary(credentials.map { ($0.apiKey, SignatureVerifier(secret: $0.secret)) }, uniquingKeysWith: { a, _ in a })
        var m: [Symbol: SimMarket] = [:]
        for s in scripts {
            m[s.instrument.symbol] = SimMarket(script: s)
            encoders[s.instrument.symbol] = MarketEncoder(instrument: s.instrument)
        }
        markets = m
    }

    /// Starts the market clock (1 ms resolution) and the pings.
    func start(pingInterval: TimeAmount = .seconds(180)) {
        eventLoop.preconditionInEventLoop()
        startNanos = MonotonicInstant.now().nanos
        task = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { [self] _ in
            self.tick()
        }
        pingTask = eventLoop.scheduleRepeatedTask(initialDelay: pingInterval, delay: pingInterval) { [self] _ in
            for channel in self.sockets.values {
                channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: channel.allocator.buffer(string: "sim")), promise: nil)
            }
        }
    }

    /// Whether the WebSocket API refuses connections now (fault `ws_api_down`).
    var webSocketAPIDown: Bool { UnixNanos.now().millis < faults.webSocketAPIDownUntil }

    /// Tracks a WebSocket API connection (closed by `ws_api_down`).
    func trackAPI(_ channel: Channel) {
        apiChannels[ObjectIdentifier(channel)] = channel
        channel.closeFuture.whenComplete { [self] _ in self.apiChannels[ObjectIdentifier(channel)] = nil }
    }

    /// Tracks a WebSocket for pings and the connection policy.
    func track(_ channel: Channel, isOrderAPI: Bool = false) {
        let id = ObjectIdentifier(channel)
        sockets[id] = channel
        connections[id] = ConnectionPolicy.Connection(openedAtMillis: UnixNanos.now().millis, isOrderAPI: isOrderAPI)
        channel.closeFuture.whenComplete { [self] _ in
            self.sockets[id] = nil
            self.connections[id] = nil
        }
    }

    /// Counts an incoming frame; false when the connection broke the message limit and must close.
    func inbound(_ frame: WebSocketFrame, on channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        guard var c = connections[id] else { return true }
        let control = frame.opcode == .ping || frame.opcode == .pong
        let reason = policy.inbound(&c, isControl: control, isPong: frame.opcode == .pong, nowMillis: UnixNanos.now().millis)
        connections[id] = c
        if frame.opcode == .pong && c.isOrderAPI { orderAPIPongs += 1 }
        if reason != nil { policyClosures += 1 }
        return reason == nil
    }

    /// A connection attempt from `ip`; false when over the per-IP rate.
    func admitConnection(from ip: String) -> Bool {
        var a = attempts[ip] ?? ConnectionPolicy.Attempts()
        let ok = policy.admit(&a, nowMillis: UnixNanos.now().millis)
        attempts[ip] = a
        return ok
    }

    /// Closes connections past their lifetime or without a pong for too long.
    private func enforceConnectionPolicy(nowMillis: Int64) {
        for (id, c) in connections {
            guard policy.check(c, nowMillis: nowMillis) != nil, let channel = sockets[id] else { continue }
            connections[id] = nil
            policyClosures += 1
            WebSocketClose.send(channel)
        }
    }

    /// Stops the clock, first sending what the open depth intervals hold so every stream ends at the
    /// venue's last update.
    func stop() {
        task?.cancel()
        task = nil
        pingTask?.cancel()
        pingTask = nil
        var touched: [ObjectIdentifier: Channel] = [:]
        flushAggregators(nowMillis: UnixNanos.now().millis, touched: &touched, force: true)
        for channel in touched.values { channel.flush() }
    }

    var instruments: [Instrument] { markets.values.map(\.script.instrument).sorted { $0.symbol < $1.symbol } }

    // MARK: Subscriptions

    /// Registers a connection; returns the names that are not valid streams.
    @discardableResult
    func register(_ channel: Channel, combined: Bool, route: StreamName.Route, names: [String]) -> [String] {
        let sub = Subscriber(channel: channel, combined: combined, route: route)
        subscribers[ObjectIdentifier(channel)] = sub
        return subscribe(channel, names: names)
    }

    func unregister(_ channel: Channel) {
        subscribers[ObjectIdentifier(channel)] = nil
        userChannels[ObjectIdentifier(channel)] = nil
    }

    // MARK: User data streams

    /// `POST /fapi/v1/listenKey`: the account's key, created or extended.
    func openListenKey(apiKey: String) -> String {
        let now = UnixNanos.now().millis
        if let existing = listenKeys.first(where: { $0.value.apiKey == apiKey })?.key {
            listenKeys[existing]!.expiresAt = now + listenKeyValidityMillis
            return existing
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let key = String((0..<64).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
        listenKeys[key] = (apiKey, now + listenKeyValidityMillis)
        return key
    }

    /// `PUT /fapi/v1/listenKey`: extends the account's key and returns it; nil when it has none (expired or
    /// closed).
    func keepAlive(apiKey: String) -> String? {
        guard let key = listenKeys.first(where: { $0.value.apiKey == apiKey })?.key else { return nil }
        listenKeys[key]!.expiresAt = UnixNanos.now().millis + listenKeyValidityMillis
        return key
    }

    /// `DELETE /fapi/v1/listenKey`: closes the account's key and its streams.
    func closeListenKey(apiKey: String) {
        for (key, v) in listenKeys where v.apiKey == apiKey {
            listenKeys[key] = nil
            for (id, u) in userChannels where u.request.subscriptions.contains(where: { $0.listenKey == key }) {
                userChannels[id]!.request.subscriptions.removeAll { $0.listenKey == key }
                if userChannels[id]!.request.subscriptions.isEmpty {
                    userChannels[id] = nil
                    u.channel.close(promise: nil)
                }
            }
        }
    }

    func isLiveListenKey(_ key: String) -> Bool { listenKeys[key] != nil }

    func registerUser(_ channel: Channel, request: UserStreamRequest) {
        userChannels[ObjectIdentifier(channel)] = (channel, request)
    }

    /// Sends the exchange's pending user events to the owning accounts' streams.
    func deliverUserEvents() {
        let events = exchange.drainEvents()
        guard !events.isEmpty, !userChannels.isEmpty else { return }
        let now = nowMillis()
        // Connected but silent: a retired path, or the `user_silent` fault.
        let silentAll = UnixNanos.now().millis < faults.userSilentUntil
        var touched: [ObjectIdentifier: Channel] = [:]
        for (apiKey, event) in events {
            // Each event as the messages it makes: a fill is also a `TRADE_LITE`.
            var messages: [(type: String, text: () -> String?)] = []
            switch event {
            case .order(let o, let execution, let fill):
                guard let instrument = markets[o.symbol]?.script.instrument else { continue }
                messages.append(("ORDER_TRADE_UPDATE", { UserStreamJSON.orderUpdate(o, execution: execution, fill: fill, instrument: instrument, nowMillis: now) }))
                if let fill {
                    messages.append(("TRADE_LITE", { UserStreamJSON.tradeLite(o, fill: fill, instrument: instrument, nowMillis: now) }))
                }
            case .account(let symbol, let reason, let change):
                messages.append(("ACCOUNT_UPDATE", {
                    guard let account = self.exchange.accounts[apiKey] else { return nil }
                    let mark = self.markets[symbol]?.markPrice
                    return UserStreamJSON.accountUpdate(account, symbol: symbol, mark: mark, reason: reason, balanceChange: change, nowMillis: now)
                }))
            case .accountConfig(let symbol, let leverage, let multiAssets):
                messages.append(("ACCOUNT_CONFIG_UPDATE", { UserStreamJSON.accountConfig(symbol: symbol, leverage: leverage, multiAssets: multiAssets, nowMillis: now) }))
            case .balances:
                // Spot balances: USDⓈ-M lists no spot symbols.
                continue
            case .marginCall(_, let wallet, let positions):
                messages.append(("MARGIN_CALL", {
                    guard let account = self.exchange.accounts[apiKey] else { return nil }
                    return UserStreamJSON.marginCall(account, wallet: wallet, positions: positions, nowMillis: now)
                }))
            }
            for (type, render) in messages {
                let keys = listenKeys.filter { $0.value.apiKey == apiKey }.map(\.key)
                let targets = userChannels.filter { u in
                    !silentAll && !u.value.request.silent && keys.contains { u.value.request.delivers(type, for: $0) }
                }
                guard !targets.isEmpty, let text = render() else { continue }
                for (id, target) in targets {
                    let buffer = target.channel.allocator.buffer(string: text)
                    target.channel.write(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
                    touched[id] = target.channel
                }
            }
        }
        for c in touched.values { c.flush() }
    }

    /// Margin calls and liquidations at the current marks; liquidations go out on the `forceOrder` streams.
    func checkMargins(nowMillis: Int64) {
        var touched: [ObjectIdentifier: Channel] = [:]
        checkMargins(nowMillis: nowMillis, touched: &touched)
        deliverUserEvents()
        for channel in touched.values { channel.flush() }
    }

    private func checkMargins(nowMillis: Int64, touched: inout [ObjectIdentifier: Channel]) {
        exchange.checkMargins(marks: markets.mapValues(\.markPrice), nowMillis: nowMillis)
        for l in exchange.drainLiquidations() {
            guard let instrument = markets[l.symbol]?.script.instrument else { continue }
            let text = UserStreamJSON.forceOrder(l, instrument: instrument, nowMillis: nowMillis)
            send(symbol: l.symbol, allMarket: true, touched: &touched, matching: { $0 == .forceOrder }) { name, out in
                out += Array((name.map { #"{"stream":"\#($0)","data":"# + text + "}" } ?? text).utf8)
            }
        }
    }

    /// How `apiKey`'s requests are verified (`nil`: no such account).
    func signer(for apiKey: String) -> SignatureVerifier? { verifiers[apiKey] }

    /// Starts recording the audit log (`SimAuditEntry`).
    func startAudit() { if exchange.audit == nil { exchange.audit = [] } }

    /// Audit entries from `index` on.
    func audit(from index: Int) -> [SimAuditEntry] {
        guard let log = exchange.audit, index < log.count else { return [] }
        return Array(log[max(0, index)...])
    }

    /// An account's position, PnL at the current mids and open orders.
    func sample(apiKey: String, startingBalance: Notional) -> SimAccountSample? {
        guard let account = exchange.accounts[apiKey] else { return nil }
        var pnl = account.wallets.values.reduce(Notional.zero, +) - Notional(raw: startingBalance.raw * Int64(account.wallets.count))
        var position = Quantity.zero
        for (key, p) in account.positions {
            position += p.quantity
            if let mid = markets[key.symbol]?.book.topOfBook(isSynced: true).mid { pnl += p.unrealized(at: mid) }
        }
        return SimAccountSample(
            nanos: MonotonicInstant.now().nanos, position: position, pnl: pnl, openOrders: account.open.count,
            openOrderIDs: account.open.values.map(\.clientOrderID).sorted())
    }

    /// Expired keys get `listenKeyExpired` on their streams, and nothing after it.
    private func expireListenKeys(nowMillis: Int64) {
        for (key, v) in listenKeys where v.expiresAt <= nowMillis {
            listenKeys[key] = nil
            let text = UserStreamJSON.listenKeyExpired(key, nowMillis: nowMillis)
            for (id, u) in userChannels where u.request.subscriptions.contains(where: { $0.listenKey == key }) {
                userChannels[id]!.request.subscriptions.removeAll { $0.listenKey == key }
                if userChannels[id]!.request.subscriptions.isEmpty { userChannels[id] = nil }
                u.channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: u.channel.allocator.buffer(string: text)), promise: nil)
            }
        }
    }

    /// Adds streams to a connection; returns the invalid names (nothing is added then).
    func subscribe(_ channel: Channel, names: [String]) -> [String] {
        guard let sub = subscribers[ObjectIdentifier(channel)] else { return names }
        let parsed = names.map { StreamName($0) }
        let invalid = zip(names, parsed).filter { $0.1 == nil }.map(\.0)
        guard invalid.isEmpty else { return invalid }
        for s in parsed.compactMap({ $0 }) where !sub.streams.contains(s) {
            sub.streams.append(s)
            // Interval streams need their symbol's aggregator from now on.
            if case .depth(let ms) = s.kind, ms > 0, let symbol = s.symbol, aggregators[symbol]?[ms] == nil {
                aggregators[symbol, default: [:]][ms] = DepthAggregator(intervalMillis: ms)
            }
        }
        return []
    }

    func unsubscribe(_ channel: Channel, names: [String]) {
        guard let sub = subscribers[ObjectIdentifier(channel)] else { return }
        sub.streams.removeAll { names.contains($0.name) }
    }

    func subscriptions(_ channel: Channel) -> [String] {
        subscribers[ObjectIdentifier(channel)]?.streams.map(\.name) ?? []
    }

    // MARK: REST views

    /// `GET /fapi/v1/depth` body for the venue's current book.
    func depthBody(symbol: Symbol, limit: Int) -> [UInt8]? {
        guard let market = markets[symbol], let encoder = encoders[symbol] else { return nil }
        let now = UnixNanos.now().millis
        exchange.record(.snapshot(symbol: symbol, nanos: MonotonicInstant.now().nanos))
        var out: [UInt8] = []
        out.reserveCapacity(limit * 40 + 100)
        encoder.depthSnapshot(
            lastUpdateID: market.lastUpdateID, eventTimeMillis: now, transactionTimeMillis: now,
            bids: market.book.levels(.bid, limit: limit), asks: market.book.levels(.ask, limit: limit), into: &out)
        return out
    }

    /// `POST /fapi/v1/countdownCancelAll`: cancel the account's orders on `symbol` unless called again
    /// within `millis`; 0 stops the timer.
    func countdown(apiKey: String, symbol: Symbol, millis: Int64) {
        countdowns.set(apiKey: apiKey, symbol: symbol, millis: millis, nowMillis: UnixNanos.now().millis)
    }

    private func fireCountdowns(nowMillis: Int64) {
        for (apiKey, symbol) in countdowns.due(nowMillis: nowMillis) {
            exchange.cancelAll(account: apiKey, symbol: symbol, nowMillis: nowMillis)
        }
    }

    /// Settles funding for every symbol whose funding time has come.
    private func settleFundingIfDue(nowMillis: Int64) {
        for symbol in markets.keys {
            let due = nextFunding[symbol] ?? markets[symbol]!.nextFundingTime(after: nowMillis)
            nextFunding[symbol] = due
            if nowMillis >= due {
                settleFunding(symbol, nowMillis: nowMillis)
                nextFunding[symbol] = markets[symbol]!.nextFundingTime(after: nowMillis)
            }
        }
    }

    /// Settles `symbol`'s funding now at its current rate and mark.
    func settleFunding(_ symbol: Symbol, nowMillis: Int64) {
        guard markets[symbol] != nil else { return }
        let s = markets[symbol]!.settleFunding(nowMillis: nowMillis)
        exchange.settleFunding(symbol: symbol, rate: s.rate, mark: s.markPrice, nowMillis: nowMillis)
    }

    /// Sets a symbol's funding rate for the periods to come.
    func setFundingRate(_ symbol: Symbol, _ rate: Ratio) { markets[symbol]?.fundingRate = rate }

    /// The venue's clock (wall time plus any injected skew), milliseconds.
    func nowMillis() -> Int64 { UnixNanos.now().millis + faults.clockSkewMillis }

    // MARK: Faults

    /// Applies one fault now and counts it.
    func trigger(_ rule: FaultRule) {
        let now = UnixNanos.now().millis
        let mono = MonotonicInstant.now().nanos
        let lasting = [.stall, .rateLimit, .wsAPIDown, .cancelAllRefuse, .wsAPIDrop, .userSilent].contains(rule.kind)
            ? Int64((rule.durationSeconds ?? 10) * 1e9) : 0
        exchange.record(.fault(kind: rule.kind, nanos: mono, untilNanos: mono + lasting))
        switch rule.kind {
        case .wsClose:
            for symbol in markets.keys where !subscribers.isEmpty { exchange.record(.desync(symbol: symbol, reason: "ws_close", nanos: mono)) }
            for sub in subscribers.values { WebSocketClose.send(sub.channel) }
            for u in userChannels.values { WebSocketClose.send(u.channel) }
            faults.count(.wsClose)
        case .gap:
            for symbol in markets.keys {
                faults.gapPending[symbol.description] = Set([0] + (aggregators[symbol].map { Array($0.keys) } ?? []))
            }
        case .stall:
            faults.stallUntilNanos = mono + lasting
            exchange.record(.stall(nanos: mono, untilNanos: mono + lasting))
            faults.count(.stall)
        case .rateLimit:
            faults.rateLimitUntil = now + Int64((rule.durationSeconds ?? 10) * 1000)
            faults.count(.rateLimit)
        case .clockSkew:
            // Periodic skew comes and goes; a one-off trigger sets it (ms=0 clears it).
            let ms = rule.milliseconds ?? 0
            faults.clockSkewMillis = (rule.everySeconds != nil && faults.clockSkewMillis != 0) ? 0 : ms
            faults.count(.clockSkew)
        case .listenKeyExpire:
            for key in listenKeys.keys { listenKeys[key]!.expiresAt = 0 }
            faults.count(.listenKeyExpire)
        case .wsAPIDown:
            faults.webSocketAPIDownUntil = now + Int64((rule.durationSeconds ?? 10) * 1000)
            for channel in apiChannels.values { WebSocketClose.send(channel) }
            faults.count(.wsAPIDown)
        case .garbage:
            sendGarbage()
            faults.count(.garbage)
        case .cancelAllRefuse:
            faults.cancelAllRefuseUntil = now + Int64((rule.durationSeconds ?? 10) * 1000)
            faults.count(.cancelAllRefuse)
        case .wsAPIDrop:
            faults.webSocketAPIDropUntil = now + Int64((rule.durationSeconds ?? 10) * 1000)
            faults.count(.wsAPIDrop)
        case .userSilent:
            faults.userSilentUntil = now + Int64((rule.durationSeconds ?? 10) * 1000)
            faults.count(.userSilent)
        case .delay, .http5xx, .drop:
            // Per-request faults: a trigger applies to the next REST request (rate rules roll per request).
            faults.nextRequest[rule.kind] = rule
        }
    }

    /// Malformed frames on every market and user stream (the `garbage` fault).
    private func sendGarbage() {
        let symbol = markets.keys.sorted().first?.description ?? "BTCUSDT"
        let lower = symbol.lowercased()
        let depth = #"{"e":"depthUpdate","E":1,"T":1,"s":"\#(symbol)","U":1,"u":2,"pu":0,"b":[["#
        let market = [
            depth,  // truncated
            #"{"e":"depthUpdate","E":1,"T":1,"s":"\#(symbol)","U":1,"u":2,"pu":0,"b":[["6.4e4","1"]],"a":[]}"#,
            #"{"e":"depthUpdate","E":1,"T":1,"s":"\#(symbol)","U":1,"u":2,"pu":0,"b":[["99999999999999999999999.5","1"]],"a":[]}"#,
            #"{"e":"depthUpdate","E":1,"T":1,"s":"NOPEUSDT","U":1,"u":2,"pu":0,"b":[["1.0","1"]],"a":[]}"#,
            #"{"e":"bookTicker","u":1,"s":"\#(symbol)","b":"--1","B":"1","a":"2","A":"1"}"#,
            "\u{1}\u{0}not json at all \u{7f}",
        ]
        for sub in subscribers.values {
            for text in market {
                // On a combined stream, the same garbage inside a well-formed envelope.
                let framed = sub.combined ? #"{"stream":"\#(lower)@depth","data":"# + text + "}" : text
                sub.channel.write(WebSocketFrame(fin: true, opcode: .text, data: sub.channel.allocator.buffer(string: framed)), promise: nil)
            }
            sub.channel.flush()
        }
        let user = [
            #"{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"\#(symbol)","c":"x","S":"BUY","#,
            #"{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"\#(symbol)","c":"mmq-x-1","S":"BUY","o":"LIMIT","f":"GTX","q":"0.002","p":"1","ap":"0","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":1,"l":"80000000000.00000002","z":"0.001","L":"1","n":"0","N":"USDT","T":1,"t":1,"m":true,"R":false,"rp":"0"}}"#,
            "\u{0}\u{1}",
        ]
        for u in userChannels.values {
            for text in user { u.channel.write(WebSocketFrame(fin: true, opcode: .text, data: u.channel.allocator.buffer(string: text)), promise: nil) }
            u.channel.flush()
        }
    }

    /// Leaves this depth message out if a gap is pending for its stream; counts it.
    private func skipForGap(_ symbol: Symbol, interval: Int) -> Bool {
        guard var pending = faults.gapPending[symbol.description], pending.contains(interval) else { return false }
        pending.remove(interval)
        faults.gapPending[symbol.description] = pending.isEmpty ? nil : pending
        faults.count(.gap)
        exchange.record(.desync(symbol: symbol, reason: interval == 0 ? "gap" : "gap@\(interval)ms", nanos: MonotonicInstant.now().nanos))
        return true
    }

    // MARK: Clock

    func tick() {
        let elapsed = MonotonicInstant.now().nanos - startNanos
        let marketNanos = Int64(Double(elapsed) * speed)
        let nowMillis = UnixNanos.now().millis
        for rule in faults.due(nowMillis: nowMillis) { trigger(rule) }
        var touched: [ObjectIdentifier: Channel] = [:]
        for symbol in markets.keys.sorted() {
            var trades: [Trade] = []
            var sawDepth = false
            // In place: a copy taken out of the dictionary would copy the book's storage on its first write.
            markets[symbol]!.advance(to: marketNanos, nowMillis: nowMillis) { event in
                self.publish(event, symbol: symbol, touched: &touched)
                switch event {
                case .trade(let t): trades.append(t)
                case .depth, .restarted: sawDepth = true
                default: break
                }
            }
            // Resting orders see the tick's book, then its trades.
            if sawDepth { exchange.onDepth(markets[symbol]!) }
            for t in trades { exchange.onTrade(t, nowMillis: nowMillis) }
        }
        checkMargins(nowMillis: nowMillis, touched: &touched)
        fireCountdowns(nowMillis: nowMillis)
        settleFundingIfDue(nowMillis: self.nowMillis())
        deliverUserEvents()
        if nowMillis >= nextExpiryCheck {
            nextExpiryCheck = nowMillis + 100
            expireListenKeys(nowMillis: nowMillis)
        }
        if nowMillis >= nextPolicyCheck {
            nextPolicyCheck = nowMillis + 250
            enforceConnectionPolicy(nowMillis: nowMillis)
        }
        flushAggregators(nowMillis: nowMillis, touched: &touched)
        if MonotonicInstant.now().nanos >= faults.stallUntilNanos { publishPeriodic(nowMillis: nowMillis, touched: &touched) }
        for channel in touched.values { channel.flush() }
    }

    private func publish(_ event: SimMarket.Event, symbol: Symbol, touched: inout [ObjectIdentifier: Channel]) {
        guard let encoder = encoders[symbol] else { return }
        let stalled = MonotonicInstant.now().nanos < faults.stallUntilNanos
        switch event {
        case .depth(let d):
            for (interval, _) in aggregators[symbol] ?? [:] { aggregators[symbol]![interval]!.add(d) }
            if stalled || skipForGap(symbol, interval: 0) { break }
            send(symbol: symbol, touched: &touched, matching: { $0 == .depth(intervalMillis: 0) }) { stream, out in
                encoder.depthUpdate(d, stream: stream, into: &out)
            }
        case .bookTicker(let t):
            if stalled { break }
            send(symbol: symbol, touched: &touched, matching: { $0 == .bookTicker }) { stream, out in
                encoder.bookTicker(t, stream: stream, into: &out)
            }
        case .trade(let t):
            if stalled { break }
            send(symbol: symbol, touched: &touched, matching: { $0 == .trade }) { stream, out in
                encoder.trade(t, aggregate: false, stream: stream, into: &out)
            }
            send(symbol: symbol, touched: &touched, matching: { $0 == .aggTrade }) { stream, out in
                encoder.trade(t, aggregate: true, stream: stream, into: &out)
            }
        case .restarted:
            restarts += 1
            exchange.record(.desync(symbol: symbol, reason: "restart", nanos: MonotonicInstant.now().nanos))
        }
    }

    private func flushAggregators(nowMillis: Int64, touched: inout [ObjectIdentifier: Channel], force: Bool = false) {
        for symbol in aggregators.keys {
            guard let encoder = encoders[symbol] else { continue }
            for interval in aggregators[symbol]!.keys {
                let due = nextFlush[interval] ?? (nowMillis / Int64(interval) + 1) * Int64(interval)
                if nowMillis < due && !force {
                    nextFlush[interval] = due
                    continue
                }
                nextFlush[interval] = (nowMillis / Int64(interval) + 1) * Int64(interval)
                guard var merged = aggregators[symbol]![interval]!.flush() else { continue }
                if MonotonicInstant.now().nanos < faults.stallUntilNanos || skipForGap(symbol, interval: interval) { continue }
                merged.eventTimeMillis = nowMillis
                send(symbol: symbol, touched: &touched, matching: { $0 == .depth(intervalMillis: interval) }) { stream, out in
                    encoder.depthUpdate(merged, stream: stream, into: &out)
                }
            }
        }
    }

    /// Encodes once per (stream name, envelope) and writes to every subscriber of a matching stream.
    private func send(
        symbol: Symbol, allMarket: Bool = false, touched: inout [ObjectIdentifier: Channel], matching: (StreamName.Kind) -> Bool,
        encode: (String?, inout [UInt8]) -> Void
    ) {
        var cache: [String: ByteBuffer] = [:]
        for (id, sub) in subscribers {
            for stream in sub.streams where (stream.symbol == symbol || (allMarket && stream.symbol == nil)) && matching(stream.kind) && sub.route.carries(stream.kind) {
                let key = (sub.combined ? "c:" : "r:") + stream.name
                let buffer: ByteBuffer
                if let cached = cache[key] {
                    buffer = cached
                } else {
                    var bytes: [UInt8] = []
                    encode(sub.combined ? stream.name : nil, &bytes)
                    buffer = sub.channel.allocator.buffer(bytes: bytes)
                    cache[key] = buffer
                }
                let frame = WebSocketFrame(fin: true, opcode: .text, data: buffer)
                sub.channel.write(frame, promise: nil)
                framesSent += 1
                touched[id] = sub.channel
            }
        }
    }
}
