import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/admin/health`: the platform at a glance, all from statistics tables and
/// in-memory counters (never the request-log partitions): requests per
/// minute, error rate and p95 by route over the last hour and day; the top
/// organizations by traffic and by errors; the endpoints failing longest;
/// the request-log writer's lag and drops; the delivery backlog; revenue.
struct HealthPage: Sendable {
    typealias Context = PorticoRequestContext
    let admin: Admin

    func register(on router: RouterGroup<Context>) {
        router.get("health") { request, _ in try await self.show(request) }
    }

    /// One route's figures over a window.
    struct RouteLine: Equatable {
        var route: String
        var requests: Int64
        var serverErrors: Int64
        /// Microseconds.
        var p95: Double?
    }

    /// Route statistics summed per route, busiest first.
    static func lines(_ counts: [RouteStatCount]) -> [RouteLine] {
        var byRoute: [String: (requests: Int64, errors: Int64, latency: [Int: Int64])] = [:]
        for count in counts {
            var line = byRoute[count.route] ?? (0, 0, [:])
            line.requests += count.count
            if count.statusClass >= 5 { line.errors += count.count }
            line.latency[count.latencyBucket, default: 0] += count.count
            byRoute[count.route] = line
        }
        return byRoute.map {
            RouteLine(
                route: $0.key,
                requests: $0.value.requests,
                serverErrors: $0.value.errors,
                p95: LatencyHistogram.percentile(0.95, counts: $0.value.latency)
            )
        }
        .sorted { ($0.requests, $1.route) > ($1.requests, $0.route) }
    }

    private func show(_ request: Request) async throws -> Response {
        let viewer = try await admin.viewer(request)
        let store = admin.store
        let now = admin.clock.nowMilliseconds
        let hour = now - now % 3_600_000
        // "The last hour" is the hour under way and the one before it; the rate divides by the minutes they span.
        let windows: [(title: String, from: Int64)] = [("Last hour", hour - 3_600_000), ("Last 24 hours", hour - 23 * 3_600_000)]
        var routeTables: [HTML] = []
        for window in windows {
            let lines = Self.lines(try await store.routeStats(from: window.from, until: now + 1))
            let minutes = max(1, Double(now - window.from) / 60_000)
            routeTables.append(
                Layout.table(
                    caption: "\(window.title) (since \(RFC3339.string(milliseconds: window.from)))",
                    headers: ["Route", "Requests", "Per minute", "5xx", "p95"],
                    rows: lines.prefix(50).map { line in
                        """
                        <tr><td><code>\(line.route)</code></td><td>\(line.requests.formatted())</td>
                        <td>\(String(format: "%.1f", Double(line.requests) / minutes))</td>
                        <td>\(OrganizationsPage.percent(Double(line.serverErrors) / Double(max(1, line.requests))))</td>
                        <td>\(line.p95.map { String(format: "%.1f ms", $0 / 1_000) } ?? "—")</td></tr>
                        """
                    },
                    empty: "No requests."
                )
            )
        }
        let dayAgo = hour - 23 * 3_600_000
        func organizations(_ rows: [OrganizationTraffic], caption: String, errors: Bool) -> HTML {
            Layout.table(
                caption: caption,
                headers: ["Organization", errors ? "5xx answers" : "Requests"],
                rows: rows.map {
                    """
                    <tr><td><a href="/admin/organizations/\($0.organizationId)">\($0.name)</a></td>
                    <td>\((errors ? $0.serverErrors : $0.requests).formatted())</td></tr>
                    """
                },
                empty: errors ? "No 5xx answers." : "No requests."
            )
        }
        let busiest = try await store.busiestOrganizations(monthStart: CivilTime.month(containing: now).start, limit: 10)
        let failingOrganizations = try await store.erroringOrganizations(from: dayAgo, until: now + 1, limit: 10)
        let endpoints = Layout.table(
            caption: "Failing longest first",
            headers: ["Endpoint", "Organization", "Failing since", "Status"],
            rows: try await store.failingEndpoints(limit: 10).map {
                """
                <tr><td>\($0.url)<br><code>\($0.id)</code></td><td><a href="/admin/organizations/\($0.organizationId)"><code>\($0.organizationId)</code></a></td>
                <td>\(Layout.time($0.failingSince))</td><td>\($0.status == .enabled ? "enabled" : "disabled")</td></tr>
                """
            },
            empty: "No endpoint is failing."
        )
        let writer = admin.runtime.logWriter
        let lag = writer.oldestQueuedAt.map { "\(max(0, now - $0).formatted()) ms" } ?? "none waiting"
        let backlog = try await store.deliveryBacklog()
        let revenue = try await store.revenue(since: CivilTime.month(containing: now).start - 365 * 86_400_000)
        let revenueTable = Layout.table(
            caption: "Live invoices by month and plan (overage included)",
            headers: ["Month", "Plan", "Invoices", "Base", "Overage", "Total"],
            rows: revenue.map {
                """
                <tr><td>\(CivilTime.monthLabel($0.periodStart))</td><td>\($0.plan)</td><td>\($0.invoices.formatted())</td>
                <td>\(Money.format($0.base, $0.currency))</td><td>\(Money.format($0.overage, $0.currency))</td><td>\(Money.format($0.total, $0.currency))</td></tr>
                """
            },
            empty: "No live invoices yet."
        )
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: "Platform health",
                current: "/admin/health",
                body: """
                    <h1>Platform health</h1>
                    \(Layout.facts(caption: "Queues in this process", [
                        ("Request logs waiting", "\(writer.queueDepth.formatted())"),
                        ("Oldest waiting", "\(lag)"),
                        ("Request logs dropped since start", "\(writer.droppedCount.formatted())"),
                        ("Deliveries owed", "\(backlog.owed.formatted())"),
                        ("Oldest due", Layout.time(backlog.oldestDueAt)),
                    ]))
                    <section aria-labelledby="routes"><h2 id="routes">Routes</h2>\(routeTables)</section>
                    <section aria-labelledby="top"><h2 id="top">Organizations</h2>
                    \(organizations(busiest, caption: "Most live requests this month", errors: false))
                    \(organizations(failingOrganizations, caption: "Most 5xx answers, last 24 hours", errors: true))</section>
                    <section aria-labelledby="failing"><h2 id="failing">Webhook endpoints failing</h2>\(endpoints)</section>
                    <section aria-labelledby="revenue"><h2 id="revenue">Revenue</h2>\(revenueTable)</section>
                    """
            )
        )
    }
}
