import Foundation

/// A bar chart drawn as inline SVG on the server: no script, no chart
/// library, nothing the CSP has to allow. Each bar carries a `<title>`
/// (the browser's tooltip and what a screen reader reads), and the page
/// shows the same numbers as a table beside it.
struct BarChart {
    struct Bar {
        var label: String
        var value: Int64
    }

    var title: String
    var bars: [Bar]
    /// A horizontal line drawn at this value (a quota), when it fits the chart.
    var reference: (label: String, value: Int64)?

    static let width = 720.0
    static let height = 220.0
    private static let left = 56.0
    private static let bottom = 28.0
    private static let top = 12.0

    var svg: HTML {
        let plotWidth = Self.width - Self.left - 8
        let plotHeight = Self.height - Self.bottom - Self.top
        let peak = max(bars.map(\.value).max() ?? 0, reference?.value ?? 0, 1)
        let scale = Self.niceCeiling(peak)
        let slot = bars.isEmpty ? plotWidth : plotWidth / Double(bars.count)
        let barWidth = max(1, slot * 0.8)
        func y(_ value: Int64) -> Double { Self.top + plotHeight - plotHeight * Double(value) / Double(scale) }
        let rects = bars.enumerated().map { index, bar -> HTML in
            let x = Self.left + Double(index) * slot + (slot - barWidth) / 2
            let top = y(bar.value)
            return """
                <rect class="bar" x="\(Self.number(x))" y="\(Self.number(top))" width="\(Self.number(barWidth))" height="\(Self.number(Self.top + plotHeight - top))"><title>\(bar.label): \(bar.value)</title></rect>
                """
        }
        // Label at most ~8 bars along the axis so the text never overlaps.
        let every = max(1, Int((Double(bars.count) / 8).rounded(.up)))
        let labels = bars.enumerated().filter { $0.offset % every == 0 }.map { index, bar -> HTML in
            let x = Self.left + Double(index) * slot + slot / 2
            return "<text class=\"axis\" x=\"\(Self.number(x))\" y=\"\(Self.number(Self.height - 8))\" text-anchor=\"middle\">\(bar.label)</text>"
        }
        let ticks = [0, scale / 2, scale].map { value -> HTML in
            """
            <line class="grid" x1="\(Self.number(Self.left))" x2="\(Self.number(Self.width - 8))" y1="\(Self.number(y(value)))" y2="\(Self.number(y(value)))"/>
            <text class="axis" x="\(Self.number(Self.left - 6))" y="\(Self.number(y(value) + 4))" text-anchor="end">\(Self.short(value))</text>
            """
        }
        let line: HTML =
            reference.map { reference in
                """
                <line class="reference" x1="\(Self.number(Self.left))" x2="\(Self.number(Self.width - 8))" y1="\(Self.number(y(reference.value)))" y2="\(Self.number(y(reference.value)))"><title>\(reference.label): \(reference.value)</title></line>
                """
            } ?? .empty
        return """
            <svg class="chart" viewBox="0 0 \(Self.number(Self.width)) \(Self.number(Self.height))" role="img" aria-label="\(title)" xmlns="http://www.w3.org/2000/svg">
            <title>\(title)</title>
            \(ticks)\(rects)\(line)\(labels)
            </svg>
            """
    }

    /// The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so gridlines land on round numbers.
    static func niceCeiling(_ value: Int64) -> Int64 {
        var magnitude: Int64 = 1
        while magnitude * 10 <= value { magnitude *= 10 }
        for step: Int64 in [1, 2, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    /// 1500 → "1.5k", 2000000 → "2M".
    static func short(_ value: Int64) -> String {
        switch value {
        case 1_000_000...: trimmed(Double(value) / 1_000_000) + "M"
        case 1_000...: trimmed(Double(value) / 1_000) + "k"
        default: String(value)
        }
    }

    private static func trimmed(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(format: "%.1f", value)
    }

    private static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}
