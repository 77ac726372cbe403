import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/admin/organizations/{id}`: one organization as support sees it (members,
/// keys without secrets, 30 days of live usage, invoices, webhook endpoints
/// and their health, recent audit rows) and what staff may do to it: change
/// its plan, set its own limits, suspend or reactivate it, delete it after
/// typing its name. Every view and every action writes an audit row.
struct OrganizationPage: Sendable {
    typealias Context = PorticoRequestContext
    let admin: Admin

    private var service: OrganizationAdministration { admin.runtime.organizations }

    /// What a finished action says on the page it returns to (a fixed text: nothing from the request is echoed).
    private static let notices = [
        "plan": "Plan changed.", "limits": "Limits saved.", "suspended": "Suspended: every key is refused and deliveries wait.",
        "reactivated": "Reactivated: keys work again and waiting deliveries go out.",
    ]

    func register(on router: RouterGroup<Context>) {
        router.get("organizations/:id") { request, context in try await self.show(request, context: context) }
        router.post("organizations/:id/plan") { request, context in
            try await self.act(request, context: context) { id, form, actor in
                guard let plan = form.text("plan") else { throw DashboardError.badRequest("Choose a plan.") }
                return try await service.changePlan(id, to: plan, by: actor) != nil ? "plan" : nil
            }
        }
        router.post("organizations/:id/limits") { request, context in
            try await self.act(request, context: context) { id, form, actor in
                try await service.setLimits(id, try Self.overrides(form), by: actor) != nil ? "limits" : nil
            }
        }
        router.post("organizations/:id/suspend") { request, context in
            try await self.act(request, context: context) { id, _, actor in
                try await service.setSuspended(id, true, by: actor) != nil ? "suspended" : nil
            }
        }
        router.post("organizations/:id/reactivate") { request, context in
            try await self.act(request, context: context) { id, _, actor in
                try await service.setSuspended(id, false, by: actor) != nil ? "reactivated" : nil
            }
        }
        router.post("organizations/:id/delete") { request, context in try await self.delete(request, context: context) }
    }

    private func show(_ request: Request, context: Context) async throws -> Response {
        let viewer = try await admin.viewer(request)
        let id = try context.parameters.require("id")
        let notice = request.uri.queryParameters.get("done").flatMap { Self.notices[$0] }
        return try await page(viewer, id: id, context: context, notice: notice)
    }

    private func page(_ viewer: StaffViewer, id: String, context: Context, notice: String? = nil, error: String? = nil) async throws -> Response {
        guard let detail = try await service.detail(id) else { throw DashboardError.notFound }
        try await service.recordView(of: id, what: "organization", target: ("organization", id), by: viewer.actor(request: context))
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: detail.organization.name,
                current: "/admin",
                notice: notice,
                body: body(detail, viewer: viewer, error: error)
            ),
            status: error == nil ? .ok : .unprocessableContent
        )
    }

    /// Runs one action from a form of this session; `perform` returns the notice key, or nil for an unknown organization.
    private func act(
        _ request: Request,
        context: Context,
        _ perform: @Sendable (String, FormData, AuditActor) async throws -> String?
    ) async throws -> Response {
        var request = request
        let viewer = try await admin.viewer(request)
        let id = try context.parameters.require("id")
        let form = try await admin.form(&request, context: context, viewer: viewer)
        do {
            guard let done = try await perform(id, form, viewer.actor(request: context)) else { throw DashboardError.notFound }
            return WebPage.redirect(to: "/admin/organizations/\(id)?done=\(done)")
        } catch let error as BillingError {
            return try await page(viewer, id: id, context: context, error: error.description)
        } catch DashboardError.badRequest(let message) {
            return try await page(viewer, id: id, context: context, error: message)
        }
    }

    private func delete(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await admin.viewer(request)
        let id = try context.parameters.require("id")
        let form = try await admin.form(&request, context: context, viewer: viewer)
        guard let organization = try await admin.store.organization(id: id) else { throw DashboardError.notFound }
        guard form.text("confirm_name") == organization.name else {
            return try await page(viewer, id: id, context: context, error: "Type the organization's name exactly to delete it.")
        }
        _ = try await service.delete(id, by: viewer.actor(request: context))
        return WebPage.redirect(to: "/admin?deleted=1")
    }

    /// The limits form: each field a whole number, or empty for the plan's figure.
    static func overrides(_ form: FormData) throws -> LimitOverrides {
        func figure(_ name: String, _ label: String) throws -> Int? {
            guard let text = form.text(name)?.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces), !text.isEmpty
            else { return nil }
            guard let value = Int(text), LimitOverrides.range.contains(value) else {
                throw DashboardError.badRequest(
                    "\(label) must be a whole number from 1 to \(LimitOverrides.range.upperBound.formatted()), or empty for the plan's."
                )
            }
            return value
        }
        return LimitOverrides(
            perSecond: try figure("per_second", "Requests per second"),
            perMinute: try figure("per_minute", "Requests per minute"),
            monthlyQuota: try figure("monthly_quota", "Monthly quota")
        )
    }

    private func body(_ detail: OrganizationDetail, viewer: StaffViewer, error: String?) -> HTML {
        let organization = detail.organization
        let config = admin.runtime.config
        let now = admin.clock.nowMilliseconds
        let base = config.plans[organization.plan]
        let overrides = organization.limitOverrides ?? LimitOverrides()
        func figure(_ value: Int?) -> String { value.map { $0.formatted() } ?? "unlimited" }
        func limitRow(_ label: String, _ name: String, plan: Int?, own: Int?) -> HTML {
            """
            <tr><th scope="row"><label for="\(name)">\(label)</label></th><td>\(figure(plan))</td>
            <td><input id="\(name)" name="\(name)" inputmode="numeric" value="\(own.map(String.init) ?? "")" placeholder="plan's"></td></tr>
            """
        }
        let csrf = AdminLayout.csrf(viewer)
        let path = "/admin/organizations/\(organization.id)"
        let plans = config.plans.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value.name) (\($0.key))") }
        let suspend: HTML =
            organization.isSuspended
            ? """
            <form method="post" action="\(path)/reactivate">\(csrf)<p>Suspended since \(Layout.time(organization.suspendedAt)).
            <button type="submit">Reactivate</button></p></form>
            """
            : """
            <form method="post" action="\(path)/suspend">\(csrf)<p>Every key answers 403 <code>organization_suspended</code>, \
            the dashboard becomes read-only and deliveries wait; nothing is deleted.
            <button type="submit" class="danger">Suspend</button></p></form>
            """
        let members = Layout.table(
            caption: "Members (\(detail.members.count))",
            headers: ["Email", "Role", "Since"],
            rows: detail.members.map {
                "<tr><td>\($0.user.email)<br><code>\($0.user.id)</code></td><td>\($0.membership.role)</td><td>\(Layout.time($0.membership.createdAt))</td></tr>"
            },
            empty: "No members."
        )
        let keys = Layout.table(
            caption: "API keys (\(detail.keys.count)); secrets are never kept",
            headers: ["Key", "Mode", "Kind", "Shown as", "Created", "Last used", "State"],
            rows: detail.keys.map { key in
                let status = KeysPages.title(of: KeyState(revokedAt: key.revokedAt, expiresAt: key.expiresAt, rolledToID: key.rolledToId, now: now))
                return """
                    <tr><td>\(key.label ?? "—")<br><code>\(key.id)</code></td><td>\(key.livemode ? "live" : "test")</td><td>\(key.kind)</td>
                    <td><code>\(key.prefix)…\(key.last4)</code></td><td>\(Layout.time(key.createdAt))</td><td>\(Layout.time(key.lastUsedAt))</td><td>\(status)</td></tr>
                    """
            },
            empty: "No keys."
        )
        var daily = [Int64](repeating: 0, count: 30)
        for row in detail.usage {
            let day = Int((row.hourStart - detail.usageSince) / 86_400_000)
            if daily.indices.contains(day) { daily[day] += row.quantity }
        }
        let chart = BarChart(
            title: "Live requests per day, last 30 days",
            bars: daily.enumerated().map { day, value in
                BarChart.Bar(label: String(RFC3339.string(milliseconds: detail.usageSince + Int64(day) * 86_400_000).prefix(10)), value: value)
            },
            reference: nil
        )
        let invoices = Layout.table(
            caption: "Invoices, newest first",
            headers: ["Invoice", "Month", "Mode", "Plan", "Usage", "Overage", "Total"],
            rows: detail.invoices.map { invoice in
                """
                <tr><td><code>\(invoice.id)</code></td><td>\(CivilTime.monthLabel(invoice.periodStart))</td><td>\(invoice.livemode ? "live" : "test")</td>
                <td>\(invoice.plan)</td><td>\(invoice.usageQuantity.formatted())</td>
                <td>\(Money.format(invoice.overageAmount, invoice.currency))</td><td>\(Money.format(invoice.total, invoice.currency))</td></tr>
                """
            },
            empty: "No invoices yet."
        )
        let endpoints = Layout.table(
            caption: "Webhook endpoints",
            headers: ["Endpoint", "Mode", "Status", "Failing since"],
            rows: detail.endpoints.map { endpoint in
                let status: HTML =
                    endpoint.status == .enabled ? "enabled" : "disabled\(endpoint.disabledReason.map { " (\($0))" } ?? "")"
                return """
                    <tr><td>\(endpoint.url)<br><code>\(endpoint.id)</code></td><td>\(endpoint.livemode ? "live" : "test")</td>
                    <td>\(status)</td><td>\(Layout.time(endpoint.failingSince))</td></tr>
                    """
            },
            empty: "No endpoints."
        )
        return """
            <p><a href="/admin">All organizations</a></p>
            <h1>\(organization.name)</h1>
            \(Layout.alert(error))
            \(Layout.facts(caption: "<code>\(organization.id)</code>", [
                ("Status", organization.isSuspended ? "Suspended" : "Active"),
                ("Plan", "\(base?.name ?? organization.plan) (\(organization.plan))"),
                ("Created", Layout.time(organization.createdAt)),
                ("Body capture", organization.bodyCapture ? "on" : "off"),
            ]))
            <section aria-labelledby="actions"><h2 id="actions">Plan and limits</h2>
            <form method="post" action="\(path)/plan">\(csrf)
            <p>\(Layout.select("plan", "Plan", plans, selected: organization.plan)) <button type="submit">Change plan</button></p></form>
            <form method="post" action="\(path)/limits">\(csrf)
            <table><caption>Live limits: this organization's own figures override the plan's</caption>
            <thead><tr><th scope="col">Limit</th><th scope="col">Plan</th><th scope="col">This organization</th></tr></thead><tbody>
            \(limitRow("Requests per second, per key", "per_second", plan: base?.live.perSecond, own: overrides.perSecond))
            \(limitRow("Requests per minute, per key", "per_minute", plan: base?.live.perMinute, own: overrides.perMinute))
            \(limitRow("Live requests per month", "monthly_quota", plan: base?.live.monthlyQuota, own: overrides.monthlyQuota))
            </tbody></table>
            <p><button type="submit">Save limits</button></p></form>
            <h2>Suspension</h2>\(suspend)
            </section>
            <section aria-labelledby="members"><h2 id="members">Members and keys</h2>\(members)\(keys)</section>
            <section aria-labelledby="usage"><h2 id="usage">Usage</h2><figure>\(chart.svg)</figure></section>
            <section aria-labelledby="billing"><h2 id="billing">Invoices</h2>\(invoices)</section>
            <section aria-labelledby="webhooks"><h2 id="webhooks">Webhooks</h2>\(endpoints)</section>
            <section aria-labelledby="audit"><h2 id="audit">Recent audit</h2>
            \(AuditPage.table(detail.recentAudit, caption: "Newest first", forStaff: true))</section>
            <section aria-labelledby="danger"><h2 id="danger">Delete</h2>
            <form method="post" action="\(path)/delete">\(csrf)
            <p>Deletes the organization with its keys, customers, events, endpoints, invoices and members who belong nowhere else. \
            The audit log keeps the record.</p>
            <p><label for="confirm_name">Type <strong>\(organization.name)</strong> to confirm</label>
            <input id="confirm_name" name="confirm_name" autocomplete="off" required></p>
            <p><button type="submit" class="danger">Delete organization</button></p></form></section>
            """
    }
}
