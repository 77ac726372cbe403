import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// The first page after sign-in: the organization's plan, this month's
/// requests against its quota, and the last 24 hours of traffic (requests,
/// error rates, latency percentiles, webhook failure rate). Everything is
/// read from hourly aggregates (`usage_buckets`, `request_stats`,
/// `webhook_attempt_stats`), so the page costs the same with ten rows of
/// logs or ten million.
struct OverviewPage: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("") { request, _ in try await self.overview(request) }
    }

    private func overview(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let now = dashboard.clock.nowMilliseconds
        let store = dashboard.store
        let month = try await store.usageTotal(
            scope: viewer.scope,
            metric: UsageMetric.requests,
            from: CivilTime.month(containing: now).start,
            until: now + 1
        )
        // The last 24 hours: the current hour and the 23 before it.
        let since = now - now % 3_600_000 - 23 * 3_600_000
        let traffic = TrafficSummary(try await store.requestStats(scope: viewer.scope, from: since, until: now + 1))
        let webhooks = try await store.webhookAttemptStats(scope: viewer.scope, from: since, until: now + 1)
        let plan = dashboard.config.plan(for: viewer.organization)
        let quota = plan?.limits(livemode: viewer.livemode).monthlyQuota
        let endpoints = try await store.endpointCount(scope: viewer.scope)
        let quotaText: HTML =
            quota.map { quota in
                let share = quota > 0 ? Double(month) / Double(quota) : 0
                return """
                    <meter min="0" max="\(quota)" value="\(min(month, Int64(quota)))" aria-label="Share of the monthly quota used"></meter>
                    \(month) of \(quota) (\(String(format: "%.1f", share * 100)) %)
                    """
            } ?? "\(month) (no monthly quota)"
        let body: HTML = """
            <h1>Overview</h1>
            <dl class="cards">
            <div><dt>Plan</dt><dd>\(plan?.name ?? viewer.organization.plan)</dd></div>
            <div><dt>Requests this month</dt><dd>\(quotaText)</dd></div>
            </dl>
            <h2>Last 24 hours</h2>
            <dl class="cards">
            <div><dt>Requests</dt><dd>\(traffic.requests)</dd></div>
            <div><dt>Server errors (5xx)</dt><dd>\(Self.share(traffic.serverErrors, of: traffic.requests))</dd></div>
            <div><dt>Client errors (4xx)</dt><dd>\(Self.share(traffic.clientErrors, of: traffic.requests))</dd></div>
            <div><dt>Latency p50 / p95 / p99</dt><dd>\([traffic.p50, traffic.p95, traffic.p99].map(Self.milliseconds).joined(separator: " / "))</dd></div>
            <div><dt>Webhook attempts failed</dt><dd>\(Self.share(webhooks.failed, of: webhooks.succeeded + webhooks.failed)) of \(webhooks.succeeded + webhooks.failed)</dd></div>
            <div><dt>Webhook endpoints</dt><dd>\(endpoints)</dd></div>
            </dl>
            <p class="empty">Latency is measured inside Portico, from request to response; percentiles are read from a histogram and are within about 10 %.</p>
            <p><a href="/dashboard/logs">Recent requests</a> · <a href="/docs">Quickstart</a></p>
            """
        return WebPage.response(Layout.page(viewer, title: "Overview", current: "/dashboard", body: body))
    }

    /// "1.2 %" of a total, "—" when there is nothing to divide.
    static func share(_ part: Int64, of total: Int64) -> String {
        total > 0 ? String(format: "%.1f %%", Double(part) * 100 / Double(total)) : "—"
    }

    static func milliseconds(_ microseconds: Double?) -> String {
        guard let microseconds else { return "—" }
        return microseconds < 10_000 ? String(format: "%.2f ms", microseconds / 1_000) : String(format: "%.0f ms", microseconds / 1_000)
    }
}
