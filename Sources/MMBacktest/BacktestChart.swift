import Foundation
import MMCore

/// An SVG chart of a backtest: mid with our quotes and fills, inventory, and PnL over time, on one page.
public enum BacktestChart {
    public static func svg(_ r: BacktestResult, title: String) -> String {
        let width = 1200.0
        let panel = (price: 360.0, inventory: 160.0, pnl: 200.0)
        let left = 90.0
        let right = 20.0
        let gap = 40.0
        let top = 64.0
        let height = top + panel.price + gap + panel.inventory + gap + panel.pnl + 50
        let plotWidth = width - left - right
        let t0 = Double(r.samples.first?.nanos ?? 0)
        let t1 = max(t0 + 1, Double(r.samples.last?.nanos ?? 1))
        func x(_ nanos: Int64) -> Double { left + (Double(nanos) - t0) / (t1 - t0) * plotWidth }
        func d(_ v: Int64) -> Double { Double(v) / 1e8 }

        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="28" font-size="16" font-weight="bold">\(escape(title))</text>

            """

        func axes(_ y0: Double, _ h: Double, _ lo: Double, _ hi: Double, _ label: String) {
            out += ##"<rect x="\##(left)" y="\##(y0)" width="\##(plotWidth)" height="\##(h)" fill="none" stroke="#999"/>"## + "\n"
            out += ##"<text x="\##(left)" y="\##(y0 - 6)" fill="#333" font-weight="bold">\##(escape(label))</text>"## + "\n"
            for i in 0...4 {
                let v = lo + (hi - lo) * Double(i) / 4
                let y = y0 + h - h * Double(i) / 4
                out += ##"<line x1="\##(left)" x2="\##(left + plotWidth)" y1="\##(fmt(y))" y2="\##(fmt(y))" stroke="#eee"/>"## + "\n"
                out += ##"<text x="\##(left - 6)" y="\##(fmt(y + 4))" text-anchor="end" fill="#555">\##(Self.label(v))</text>"## + "\n"
            }
        }
        func polyline(_ points: [(Double, Double)], _ color: String, _ widthPx: Double = 1.2) {
            guard points.count > 1 else { return }
            out += ##"<polyline fill="none" stroke="\##(color)" stroke-width="\##(widthPx)" points=""##
            out += points.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
            out += "\"/>\n"
        }
        func range(_ values: [Double]) -> (Double, Double) {
            guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
            let pad = max((hi - lo) * 0.05, 1e-9)
            return (lo - pad, hi + pad)
        }

        // Mid, quotes and fills.
        let y0 = top
        var priceValues = r.samples.map { d($0.mid.raw) }.filter { $0 > 0 }
        priceValues += r.samples.flatMap { [$0.bid, $0.ask] }.filter { !$0.isZero }.map { d($0.raw) }
        priceValues += r.fills.map { d($0.price.raw) }
        let (plo, phi) = range(priceValues)
        func py(_ v: Double) -> Double { y0 + panel.price - (v - plo) / (phi - plo) * panel.price }
        axes(y0, panel.price, plo, phi, "price")
        polyline(r.samples.filter { !$0.mid.isZero }.map { (x($0.nanos), py(d($0.mid.raw))) }, "#222")
        polyline(r.samples.filter { !$0.bid.isZero }.map { (x($0.nanos), py(d($0.bid.raw))) }, "#2a7", 0.8)
        polyline(r.samples.filter { !$0.ask.isZero }.map { (x($0.nanos), py(d($0.ask.raw))) }, "#c33", 0.8)
        for f in r.fills {
            let color = f.side == .buy ? "#1a8f3c" : "#c0392b"
            let (cx, cy) = (x(f.nanos), py(d(f.price.raw)))
            let shape = f.side == .buy ? "\(fmt(cx)),\(fmt(cy - 6)) \(fmt(cx - 5)),\(fmt(cy + 4)) \(fmt(cx + 5)),\(fmt(cy + 4))"
                : "\(fmt(cx)),\(fmt(cy + 6)) \(fmt(cx - 5)),\(fmt(cy - 4)) \(fmt(cx + 5)),\(fmt(cy - 4))"
            out += ##"<polygon points="\##(shape)" fill="\##(color)" opacity="0.8"/>"## + "\n"
        }
        out += ##"<text x="\##(left + 60)" y="\##(y0 - 6)" fill="#222">mid</text><text x="\##(left + 92)" y="\##(y0 - 6)" fill="#2a7">our bid</text>"##
        out += ##"<text x="\##(left + 147)" y="\##(y0 - 6)" fill="#c33">our ask</text><text x="\##(left + 202)" y="\##(y0 - 6)" fill="#555">▲ buy fill ▼ sell fill</text>"## + "\n"

        // Inventory.
        let y1 = y0 + panel.price + gap
        let inv = r.samples.map { d($0.position.raw) }
        let (ilo, ihi) = range(inv + [0])
        func iy(_ v: Double) -> Double { y1 + panel.inventory - (v - ilo) / (ihi - ilo) * panel.inventory }
        axes(y1, panel.inventory, ilo, ihi, "inventory")
        polyline(r.samples.map { (x($0.nanos), iy(d($0.position.raw))) }, "#36c")

        // PnL.
        let y2 = y1 + panel.inventory + gap
        let pnl = r.samples.map { d($0.pnl.raw) }
        let (nlo, nhi) = range(pnl + [0])
        func ny(_ v: Double) -> Double { y2 + panel.pnl - (v - nlo) / (nhi - nlo) * panel.pnl }
        axes(y2, panel.pnl, nlo, nhi, "PnL (net)")
        out += ##"<line x1="\##(left)" x2="\##(left + plotWidth)" y1="\##(fmt(ny(0)))" y2="\##(fmt(ny(0)))" stroke="#aaa" stroke-dasharray="4 3"/>"## + "\n"
        polyline(r.samples.map { (x($0.nanos), ny(d($0.pnl.raw))) }, "#8a2be2")

        // Time axis.
        let yAxis = y2 + panel.pnl + 18
        for i in 0...6 {
            let t = t0 + (t1 - t0) * Double(i) / 6
            let seconds = (t - t0) / 1e9
            out += ##"<text x="\##(fmt(left + plotWidth * Double(i) / 6))" y="\##(fmt(yAxis))" text-anchor="\##(i == 6 ? "end" : i == 0 ? "start" : "middle")" fill="#555">\##(timeLabel(seconds))</text>"## + "\n"
        }
        out += "</svg>\n"
        return out
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    static func label(_ v: Double) -> String {
        let a = abs(v)
        return a >= 1000 ? String(format: "%.1f", v) : a >= 1 ? String(format: "%.3f", v) : String(format: "%.4f", v)
    }

    static func timeLabel(_ seconds: Double) -> String {
        seconds >= 3600 ? String(format: "%.1f h", seconds / 3600) : seconds >= 60 ? String(format: "%.1f min", seconds / 60) : String(format: "%.0f s", seconds)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
