import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Usage of the current organization and mode: one metric over the last
/// day (hourly), month (daily) or year (monthly) as a server-drawn SVG bar
/// chart with the same numbers as a table, this month against the plan's
/// quotas (requests, and the gateway metrics the plan caps), and this
/// period's totals per key. Declared gateway metrics are offered even before
/// they have any usage.
struct UsagePage: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    enum Range: String, CaseIterable {
        case day = "24h"
        case month = "30d"
        case year = "12m"

        var title: String {
            switch self {
            case .day: "Last 24 hours, by hour"
            case .month: "Last 30 days, by day"
            case .year: "Last 12 months, by month"
            }
        }

        /// The buckets ending with the one containing `now`: (start, end, label).
        func buckets(now: Int64) -> [(start: Int64, end: Int64, label: String)] {
            switch self {
            case .day:
                let current = now - now % 3_600_000
                return (0..<24).reversed().map { back in
                    let start = current - Int64(back) * 3_600_000
                    return (start, start + 3_600_000, String(format: "%02d:00", CivilTime.components(milliseconds: start).hour))
                }
            case .month:
                let today = CivilTime.dayStart(now)
                return (0..<30).reversed().map { back in
                    let start = today - Int64(back) * 86_400_000
                    let parts = CivilTime.components(milliseconds: start)
                    return (start, start + 86_400_000, String(format: "%02d-%02d", parts.month, parts.day))
                }
            case .year:
                var months: [(Int64, Int64, String)] = []
                var month = CivilTime.month(containing: now)
                for _ in 0..<12 {
                    months.append((month.start, month.end, CivilTime.monthLabel(month.start)))
                    month = CivilTime.month(containing: month.start - 1)
                }
                return months.reversed()
            }
        }
    }

    func register(on router: RouterGroup<Context>) {
        router.get("usage") { request, _ in try await self.usage(request) }
    }

    private func usage(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let query = request.uri.queryParameters
        let range = query.get("range").flatMap(Range.init) ?? .month
        let metric = query.get("metric").flatMap { $0.isEmpty ? nil : $0 } ?? UsageMetric.requests
        let now = dashboard.clock.nowMilliseconds
        let buckets = range.buckets(now: now)
        let rows = try await dashboard.store.usage(scope: viewer.scope, from: buckets[0].start, until: now + 1, metric: nil, keyId: nil)
        let declared = dashboard.runtime.gateway.definition.metrics
        let metrics = Set(rows.map(\.metric)).union([UsageMetric.requests]).union(declared.keys).sorted()
        var values = [Int64](repeating: 0, count: buckets.count)
        var perKey: [String: Int64] = [:]
        var bucket = 0
        for row in rows where row.metric == metric {  // oldest first, as the buckets
            while bucket + 1 < buckets.count, row.hourStart >= buckets[bucket].end { bucket += 1 }
            values[bucket] += row.quantity
            perKey[row.keyId, default: 0] += row.quantity
        }
        let monthStart = CivilTime.month(containing: now).start
        let plan = dashboard.config.plan(for: viewer.organization)
        let limits = plan?.limits(livemode: viewer.livemode)
        let quotas =
            ([(UsageMetric.requests, limits?.monthlyQuota)]
            + (limits?.metricQuotas ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, Optional($0.value)) })
            .compactMap { name, quota in quota.map { (metric: name, quota: $0) } }
        let quota = quotas.first { $0.metric == metric }?.quota
        let monthUsed = try await dashboard.store.usageTotal(scope: viewer.scope, metric: metric, from: monthStart, until: now + 1)
        let bars = zip(buckets, values).map { BarChart.Bar(label: $0.0.label, value: $0.1) }
        let chart = BarChart(
            title: "\(metric), \(range.title.lowercased())",
            bars: bars,
            reference: range == .year ? quota.map { ("Monthly quota", Int64($0)) } : nil
        )
        let ranges = Range.allCases.map { choice -> HTML in
            choice == range
                ? "<li><a href=\"/dashboard/usage?range=\(choice.rawValue)&amp;metric=\(metric)\" aria-current=\"true\">\(choice.title)</a></li>"
                : "<li><a href=\"/dashboard/usage?range=\(choice.rawValue)&amp;metric=\(metric)\">\(choice.title)</a></li>"
        }
        let total = values.reduce(0, +)
        var quotaRows: [HTML] = []
        for entry in quotas {
            let used =
                entry.metric == metric
                ? monthUsed : try await dashboard.store.usageTotal(scope: viewer.scope, metric: entry.metric, from: monthStart, until: now + 1)
            let share = entry.quota > 0 ? Int((Double(used) / Double(entry.quota) * 100).rounded()) : 100
            quotaRows.append("<tr><td>\(entry.metric)</td><td>\(used)</td><td>\(entry.quota)</td><td>\(share) %</td></tr>")
        }
        let body: HTML = """
            <h1>Usage</h1>
            <ul class="tabs">\(ranges)</ul>
            <form method="get" action="/dashboard/usage" class="filters">
            <input type="hidden" name="range" value="\(range.rawValue)">
            \(Layout.select("metric", "Metric", metrics.map { name in (name, declared[name].map { "\(name) — \($0)" } ?? name) }, selected: metric))
            <button type="submit">Show</button></form>
            <dl class="cards">
            <div><dt>\(metric) this month</dt><dd>\(monthUsed)\(quota.map { " of \($0)" as HTML })</dd></div>
            <div><dt>\(range.title)</dt><dd>\(total)</dd></div>
            </dl>
            <figure>\(chart.svg)<figcaption>\(metric), \(range.title.lowercased()) (UTC)\(chart.reference == nil ? "" : "; the line is the monthly quota").</figcaption></figure>
            \(Layout.table(caption: "This month against the plan's quotas", headers: ["Metric", "Used", "Quota", "Share"], rows: quotaRows, empty: "The plan sets no monthly quota."))
            <details><summary>The numbers</summary>
            \(Layout.table(caption: "\(metric) per period", headers: ["Period (UTC)", "Quantity"], rows: bars.map { "<tr><td>\($0.label)</td><td>\($0.value)</td></tr>" }, empty: "No usage."))
            </details>
            \(Layout.table(
                caption: "\(range.title): per key", headers: ["Key", metric],
                rows: perKey.sorted { $0.value > $1.value }.map { "<tr><td><code>\($0.key.isEmpty ? "none" : $0.key)</code></td><td>\($0.value)</td></tr>" },
                empty: "No usage in this period."))
            """
        return WebPage.response(Layout.page(viewer, title: "Usage", current: "/dashboard/usage", body: body))
    }
}
