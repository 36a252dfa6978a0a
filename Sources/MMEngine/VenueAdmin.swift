import Foundation
import MMBinance
import MMBinanceAuth
import MMBinanceWire
import MMCore

/// Out-of-band actions straight against the venue's REST API, independent of any running engine (which may
/// be hung or dead): what `mm cancel-all`, `mm flatten` and `scripts/emergency_stop.sh` use.
public struct VenueAdmin: Sendable {
    public let rest: Endpoint
    public let credentials: Credentials
    private let signer: RequestSigner

    /// The venue and credentials of a configuration (`BINANCE_API_KEY` with `BINANCE_API_SECRET` or
    /// `BINANCE_API_PRIVATE_KEY_FILE`). The embedded simulator lives inside the engine's process, so it
    /// cannot be reached from here.
    public init(config: EngineConfig, environment: [String: String]) throws(EngineError) {
        guard config.venue != .sim else {
            throw EngineError("venue 'sim' is the simulator embedded in the engine process; point the configuration at a standalone `mm sim` (binance.restUrl) or a real venue")
        }
        guard var rest = Endpoint(url: config.endpoints.restURL) else { throw EngineError("binance.restUrl '\(config.endpoints.restURL)' is not a URL") }
        if !config.endpoints.trustedCAFile.isEmpty { rest.trustedCAFile = config.endpoints.trustedCAFile }
        var secret = environment["BINANCE_API_SECRET"] ?? ""
        if let file = environment["BINANCE_API_PRIVATE_KEY_FILE"], !file.isEmpty {
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else { throw EngineError("BINANCE_API_PRIVATE_KEY_FILE: cannot read \(file)") }
            secret = pem
        }
        guard let key = environment["BINANCE_API_KEY"], !key.isEmpty, !secret.isEmpty else {
            throw EngineError("needs BINANCE_API_KEY and BINANCE_API_SECRET (or BINANCE_API_PRIVATE_KEY_FILE) in the environment")
        }
        self.rest = rest
        credentials = Credentials(apiKey: key, secret: secret)
        do { signer = try RequestSigner(secret: secret) } catch { throw EngineError("API secret: \(error.description)") }
    }

    /// One symbol's outcome.
    public struct Outcome: Sendable {
        public var symbol: String
        public var cancelRequest: String
        public var openOrdersAfter: Int
        public var positionBefore: String?
        public var positionAfter: String?
        public var flattenRequest: String?

        /// Nothing left open (and, when flattening, no position).
        public var clean: Bool { openOrdersAfter == 0 && (positionAfter == nil || Quantity(positionAfter!)?.isZero == true) }

        public var json: String {
            var o = JSONObject()
            o.add("symbol", symbol)
            o.add("cancel_all", cancelRequest)
            o.add("open_orders_after", openOrdersAfter)
            if let flattenRequest { o.add("flatten", flattenRequest) }
            if let positionBefore { o.add("position_before", positionBefore) }
            if let positionAfter { o.add("position_after", positionAfter) }
            o.add("clean", clean)
            return o.text
        }
    }

    private func signed(_ method: String, _ path: String, _ query: String) async throws -> HTTPReply {
        var q = query + (query.isEmpty ? "" : "&") + "timestamp=\(try await serverTime())&recvWindow=10000"
        q += "&signature=" + signer.signature(of: q, urlEncoded: true)
        return try await VenueREST.send(method, rest, path: path + "?" + q, headers: [("X-MBX-APIKEY", credentials.apiKey)])
    }

    /// The venue's clock (our own may be off; a refused timestamp must not stop an emergency stop).
    private func serverTime() async throws -> Int64 {
        if let reply = try? await VenueREST.send("GET", rest, path: "/fapi/v1/time"), reply.status == 200,
            let t = (try? JSONValue.parse(reply.body))?["serverTime"]?.int64
        {
            return t
        }
        return UnixNanos.now().millis
    }

    private func describe(_ reply: HTTPReply) -> String {
        reply.status == 200 ? "ok" : "HTTP \(reply.status): " + String(decoding: reply.body.prefix(200), as: UTF8.self)
    }

    /// Cancels every open order of `symbol` (and, with `flatten`, closes its position with a reduce-only
    /// market order), then reads back what is left.
    public func emergencyStop(symbol: String, flatten: Bool) async -> Outcome {
        var outcome = Outcome(symbol: symbol, cancelRequest: "", openOrdersAfter: -1)
        do {
            outcome.cancelRequest = describe(try await signed("DELETE", "/fapi/v1/allOpenOrders", "symbol=\(symbol)"))
        } catch {
            outcome.cancelRequest = "failed: \(error)"
        }
        if flatten {
            do {
                let before = try await position(symbol)
                outcome.positionBefore = before.description
                if !before.isZero {
                    let side = before.raw > 0 ? "SELL" : "BUY"
                    let qty = Quantity(raw: Int64(before.raw.magnitude))
                    let reply = try await signed(
                        "POST", "/fapi/v1/order", "symbol=\(symbol)&side=\(side)&type=MARKET&quantity=\(qty)&reduceOnly=true&newClientOrderId=mmq-stop-\(UnixNanos.now().millis)")
                    outcome.flattenRequest = describe(reply)
                } else {
                    outcome.flattenRequest = "no position"
                }
                outcome.positionAfter = try await position(symbol).description
            } catch {
                outcome.flattenRequest = "failed: \(error)"
            }
        }
        if let reply = try? await signed("GET", "/fapi/v1/openOrders", "symbol=\(symbol)"), reply.status == 200,
            let list = (try? JSONValue.parse(reply.body))?.arrayValue
        {
            outcome.openOrdersAfter = list.count
        }
        return outcome
    }

    private func position(_ symbol: String) async throws -> Quantity {
        let reply = try await signed("GET", "/fapi/v2/positionRisk", "symbol=\(symbol)")
        guard reply.status == 200, let list = (try JSONValue.parse(reply.body)).arrayValue else {
            throw EngineError("positionRisk: \(describe(reply))")
        }
        var total = Quantity.zero
        for p in list where p["symbol"]?.text == symbol {
            total += p["positionAmt"]?.text.flatMap { Quantity($0) } ?? .zero
        }
        return total
    }
}
