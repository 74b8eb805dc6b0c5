/// Charts drawn as inline SVG: axes, ticks, labels and marks, in integer-rounded coordinates
/// so the same figures always give the same bytes.
///
/// Each chart is an image with a title and a description (`role="img"`, `<title>`,
/// `<desc>`) that says what it shows in words; the page puts the same figures in a table
/// beside it, so no one needs to see the chart to read the numbers.
public enum SVGChart {
    /// Tick values from 0 to at least `maximum`: 1, 2 or 5 times a power of ten apart,
    /// about `count` of them.
    public static func ticks(upTo maximum: Double, count: Int = 5) -> [Double] {
        guard maximum > 0, maximum.isFinite else { return [0, 1] }
        let rough = maximum / Double(max(count, 1))
        var power = 1.0
        while power * 10 <= rough { power *= 10 }
        while power > rough { power /= 10 }
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= rough } ?? power * 10
        var out: [Double] = [0]
        while (out.last ?? maximum) < maximum { out.append(Double(out.count) * step) }
        return out
    }

    /// Horizontal bars, one per item, in the order given (a funnel in catalogue order).
    public static func bars(
        id: String, title: String, description: String, items: [(label: String, value: Double)], format: (Double) -> String
    ) -> String {
        let labelWidth = 180, plotWidth = 360, row = 26, top = 10, axis = 24
        let height = top + row * items.count + axis
        let scale = ticks(upTo: items.map(\.value).max() ?? 0)
        let top_ = scale.last ?? 1
        let x = { (v: Double) in labelWidth + Int((v / top_ * Double(plotWidth)).rounded()) }
        var svg = header(id: id, width: labelWidth + plotWidth + 60, height: height, title: title, description: description)
        for tick in scale {
            let tx = x(tick)
            svg += "<line x1=\"\(tx)\" y1=\"\(top)\" x2=\"\(tx)\" y2=\"\(height - axis)\" stroke=\"#ccc\"/>"
            svg += "<text x=\"\(tx)\" y=\"\(height - 8)\" text-anchor=\"middle\" font-size=\"11\">\(HTMLPage.escape(format(tick)))</text>"
        }
        for (i, item) in items.enumerated() {
            let y = top + i * row
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 17)\" text-anchor=\"end\" font-size=\"12\">\(HTMLPage.escape(clip(item.label)))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(x(item.value) - labelWidth)\" height=\"\(row - 8)\" fill=\"#2b5797\"/>"
            svg += "<text x=\"\(x(item.value) + 4)\" y=\"\(y + 17)\" font-size=\"12\">\(HTMLPage.escape(format(item.value)))</text>"
        }
        svg += "<line x1=\"\(labelWidth)\" y1=\"\(top)\" x2=\"\(labelWidth)\" y2=\"\(height - axis)\" stroke=\"#1a1a1a\"/>"
        return svg + "</svg>"
    }

    /// A line over labelled points (weeks, days), with a dot and its value at each point.
    public static func line(
        id: String, title: String, description: String, points: [(label: String, value: Double)], format: (Double) -> String
    ) -> String {
        let left = 48, plotWidth = 480, plotHeight = 180, top = 12, bottom = 40
        let scale = ticks(upTo: points.map(\.value).max() ?? 0)
        let top_ = scale.last ?? 1
        let step = points.count > 1 ? plotWidth / (points.count - 1) : 0
        let x = { (i: Int) in left + (points.count > 1 ? i * step : plotWidth / 2) }
        let y = { (v: Double) in top + plotHeight - Int((v / top_ * Double(plotHeight)).rounded()) }
        var svg = header(id: id, width: left + plotWidth + 48, height: top + plotHeight + bottom, title: title, description: description)
        for tick in scale {
            svg += "<line x1=\"\(left)\" y1=\"\(y(tick))\" x2=\"\(left + plotWidth)\" y2=\"\(y(tick))\" stroke=\"#ccc\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\" font-size=\"11\">\(HTMLPage.escape(format(tick)))</text>"
        }
        let path = points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(x($0.offset)) \(y($0.element.value))" }.joined(separator: " ")
        if !points.isEmpty { svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"#2b5797\" stroke-width=\"2\"/>" }
        for (i, p) in points.enumerated() {
            svg += "<circle cx=\"\(x(i))\" cy=\"\(y(p.value))\" r=\"3\" fill=\"#2b5797\"/>"
            svg +=
                "<text x=\"\(x(i))\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\" font-size=\"11\">\(HTMLPage.escape(clip(p.label, 10)))</text>"
        }
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" stroke=\"#1a1a1a\"/>"
        return svg + "</svg>"
    }

    /// The opening of a chart; `id` makes its title and description ids unique in the page.
    static func header(id: String, width: Int, height: Int, title: String, description: String) -> String {
        let t = HTMLPage.escape(id + "-title"), d = HTMLPage.escape(id + "-desc")
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-labelledby=\"\(t) \(d)\" font-family=\"system-ui,sans-serif\" fill=\"#1a1a1a\">"
            + "<title id=\"\(t)\">\(HTMLPage.escape(title))</title><desc id=\"\(d)\">\(HTMLPage.escape(description))</desc>"
    }

    /// A label cut to `limit` characters, with an ellipsis.
    static func clip(_ text: String, _ limit: Int = 28) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}
