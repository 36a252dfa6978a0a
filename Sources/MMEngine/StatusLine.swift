#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MMBook
import MMCore
import MMExecution

/// The periodic status: one human line on a terminal, a JSON log line otherwise (both on stderr).
enum StatusLine {
    static func emit(g: GatewaySnapshot, top: TopOfBook, symbol: Symbol, terminal: Bool, strategy: (ticks: Int, stale: Int, dropped: Int)?) {
        let state = ["active", "reducing", "halted"][Int(min(g.tradingState, 2))]
        let mid = top.mid.map(\.description) ?? "-"
        let spread = top.hasBid && top.hasAsk ? (top.askPrice - top.bidPrice).description : "-"
        let line: String
        if terminal {
            line = "\(symbol) mid \(mid) spread \(spread) \(top.isSynced ? "synced" : "STALE") | pos \(g.position) pnl \(g.pnl) (fees \(g.fees))"
                + " | orders \(g.openOrders) open, \(g.ordersSent) sent, \(g.fills) fills, \(g.riskRejects + g.venueRejects) rejects"
                + " | p99 tick→send \(g.tickToSendP99Nanos / 1000) µs, round trip \(g.roundTripP99Nanos / 1000) µs | \(state)\(g.ready ? "" : " (not ready)")"
        } else {
            var o = JSONObject()
            o.add("ts", Int(UnixNanos.now().millis))
            o.add("level", "info")
            o.add("label", "mm.engine")
            o.add("event", "status")
            o.add("symbol", symbol.description)
            o.add("mid", mid)
            o.add("synced", top.isSynced)
            o.add("position", g.position.description)
            o.add("pnl", g.pnl.description)
            o.add("open_orders", g.openOrders)
            o.add("orders_sent", g.ordersSent)
            o.add("fills", g.fills)
            o.add("rejects", g.riskRejects + g.venueRejects)
            o.add("tick_to_send_p99_us", Double(g.tickToSendP99Nanos) / 1000)
            o.add("round_trip_p99_us", Double(g.roundTripP99Nanos) / 1000)
            o.add("state", state)
            o.add("ready", g.ready)
            line = o.text
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
