import Foundation
import Hummingbird
import PorticoStore

/// The first page after sign-in: the organization's plan, this month's
/// requests against its quota, and the last 24 hours of traffic.
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
            scope: viewer.scope, metric: UsageMetric.requests, from: CivilTime.month(containing: now).start, until: now + 1)
        let day = try await store.usageTotal(scope: viewer.scope, metric: UsageMetric.requests, from: now - 86_400_000, until: now + 1)
        let plan = dashboard.config.plans[viewer.organization.plan]
        let quota = plan?.limits(livemode: viewer.livemode).monthlyQuota
        let endpoints = try await store.endpointCount(scope: viewer.scope)
        let quotaText: HTML = quota.map { quota in
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
            <div><dt>Requests, last 24 hours</dt><dd>\(day)</dd></div>
            <div><dt>Webhook endpoints</dt><dd>\(endpoints)</dd></div>
            </dl>
            <p><a href="/dashboard/logs">Recent requests</a> · <a href="/docs">Quickstart</a></p>
            """
        return WebPage.response(Layout.page(viewer, title: "Overview", current: "/dashboard", body: body))
    }
}
