import Foundation

/// Inline SVG charts (no scripts): drawn on the server, readable without JS.
enum Charts {
    static let palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f"]

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    /// A line chart of several series over time (x in Unix seconds) with an
    /// optional dashed threshold line. Each point carries a `<title>` tooltip.
    static func lines(_ series: [Series], threshold: Double?, yLabel: String, label: (Double) -> String,
                      width: Double = 640, height: Double = 220) -> HTML {
        let left = 48.0, right = 12.0, top = 12.0, bottom = 34.0
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        guard let x0 = xs.min(), let x1 = xs.max() else { return "<p class=\"muted\">no data</p>" }
        let yMax = max(ys.max() ?? 0, threshold ?? 0, 1e-9) * 1.1
        let w = width - left - right, h = height - top - bottom
        func px(_ x: Double) -> Double { x1 == x0 ? left + w / 2 : left + (x - x0) / (x1 - x0) * w }
        func py(_ y: Double) -> Double { top + h - y / yMax * h }
        var parts: [HTML] = []
        // Axes and y ticks.
        parts.append("<line class=\"axis\" x1=\"\(left)\" y1=\"\(top + h)\" x2=\"\(left + w)\" y2=\"\(top + h)\"/>")
        parts.append("<line class=\"axis\" x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + h)\"/>")
        for i in 0...4 {
            let v = yMax * Double(i) / 4
            parts.append("<text class=\"tick\" x=\"\(left - 4)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(v, digits: 2)</text>")
        }
        parts.append("<text class=\"tick\" x=\"\(left)\" y=\"\(height - 18)\">\(label(x0))</text>")
        if x1 != x0 { parts.append("<text class=\"tick\" x=\"\(left + w)\" y=\"\(height - 18)\" text-anchor=\"end\">\(label(x1))</text>") }
        parts.append("<text class=\"tick\" x=\"4\" y=\"\(top + 10)\">\(yLabel)</text>")
        if let t = threshold {
            parts.append("<line class=\"threshold\" x1=\"\(left)\" y1=\"\(py(t))\" x2=\"\(left + w)\" y2=\"\(py(t))\"><title>threshold \(t, digits: 3)</title></line>")
        }
        var legend: [HTML] = []
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            let pts = s.points.sorted { $0.x < $1.x }
            let coords = pts.map { (p) -> String in HTML.number(px(p.x), digits: 1) + "," + HTML.number(py(p.y), digits: 1) }.joined(separator: " ")
            parts.append("<polyline class=\"series\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(coords)\"/>")
            for p in pts {
                parts.append("<circle cx=\"\(px(p.x), digits: 1)\" cy=\"\(py(p.y), digits: 1)\" r=\"3\" fill=\"\(color)\"><title>\(s.name) \(label(p.x)): \(p.y, digits: 3)</title></circle>")
            }
            let lx = left + Double(i % 4) * 150
            legend.append("<rect x=\"\(lx)\" y=\"\(height - 10)\" width=\"10\" height=\"10\" fill=\"\(color)\"/><text class=\"legend\" x=\"\(lx + 14)\" y=\"\(height - 1)\">\(s.name)</text>")
        }
        return "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">\(parts)\(legend)</svg>"
    }

    /// Stage progress: one segment per stage, done stages filled, the current one
    /// coloured by the rollout's state.
    static func stages(_ stages: [Int], index: Int, state: String) -> HTML {
        let segW = 48.0, gap = 4.0
        var parts: [HTML] = []
        for (i, pct) in stages.enumerated() {
            let cls: String
            if state == "completed" || i < index { cls = "done" }
            else if i == index { cls = state == "running" ? "current" : state }
            else { cls = "todo" }
            let x = Double(i) * (segW + gap)
            parts.append("<g class=\"stage \(cls)\"><rect x=\"\(x)\" y=\"0\" width=\"\(segW)\" height=\"20\" rx=\"3\"/><text x=\"\(x + segW / 2)\" y=\"14\" text-anchor=\"middle\">\(pct)%</text><title>stage \(i + 1): \(pct)% (\(cls))</title></g>")
        }
        let total = Double(stages.count) * (segW + gap)
        return "<svg class=\"stages\" role=\"img\" viewBox=\"0 0 \(total) 20\" width=\"\(total)\" height=\"20\" data-stage=\"\(index + 1)\" data-stages=\"\(stages.count)\">\(parts)</svg>"
    }

    /// Horizontal bars with labels and values (e.g. devices by health).
    static func bars(_ items: [(label: String, value: Int, cls: String)], width: Double = 360) -> HTML {
        let maxV = max(items.map(\.value).max() ?? 0, 1)
        var parts: [HTML] = []
        for (i, it) in items.enumerated() {
            let y = Double(i) * 24
            let w = (width - 130) * Double(it.value) / Double(maxV)
            parts.append("<text class=\"tick\" x=\"0\" y=\"\(y + 15)\">\(it.label)</text><rect class=\"bar \(it.cls)\" x=\"90\" y=\"\(y + 3)\" width=\"\(w, digits: 1)\" height=\"16\"/><text class=\"tick\" x=\"\(96 + w, digits: 1)\" y=\"\(y + 15)\">\(it.value)</text>")
        }
        let h = Double(items.count) * 24
        return "<svg class=\"bars\" role=\"img\" viewBox=\"0 0 \(width) \(h)\" width=\"\(width)\" height=\"\(h)\">\(parts)</svg>"
    }

    /// Observed proportions against the baseline's, per bin.
    static func histogram(observed: [Int], baseline: [Double]?, width: Double = 320, height: Double = 120) -> HTML {
        let total = Double(max(observed.reduce(0, +), 1))
        let q = observed.map { Double($0) / total }
        let maxP = max((q + (baseline ?? [])).max() ?? 0, 1e-9)
        let n = Double(max(observed.count, 1)), bw = width / n
        var parts: [HTML] = []
        for (i, v) in q.enumerated() {
            let h = v / maxP * (height - 14)
            parts.append("<rect class=\"bar observed\" x=\"\(Double(i) * bw + 1, digits: 1)\" y=\"\(height - 14 - h, digits: 1)\" width=\"\(max(bw / 2 - 1, 1), digits: 1)\" height=\"\(h, digits: 1)\"><title>bin \(i): observed \(v, digits: 3)</title></rect>")
            if let b = baseline, i < b.count {
                let hb = b[i] / maxP * (height - 14)
                parts.append("<rect class=\"bar baseline\" x=\"\(Double(i) * bw + bw / 2, digits: 1)\" y=\"\(height - 14 - hb, digits: 1)\" width=\"\(max(bw / 2 - 1, 1), digits: 1)\" height=\"\(hb, digits: 1)\"><title>bin \(i): baseline \(b[i], digits: 3)</title></rect>")
            }
        }
        parts.append("<text class=\"legend\" x=\"0\" y=\"\(height - 2)\">observed (dark) vs baseline (light) per bin</text>")
        return "<svg class=\"histogram\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">\(parts)</svg>"
    }
}
