import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Organization settings: the plan (owners only: it is billing), the
/// default API version and request body capture (owners and admins). Changes are audited and
/// reach the request path at once (the key cache is invalidated).
struct SettingsPage: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("settings") { request, _ in try await self.page(try await dashboard.viewer(request), notice: nil) }
        router.post("settings/plan") { request, context in try await self.changePlan(request, context: context) }
        router.post("settings/body-capture") { request, context in try await self.changeBodyCapture(request, context: context) }
        router.post("settings/api-version") { request, context in try await self.changeAPIVersion(request, context: context) }
        router.post("settings/two-factor") { request, context in try await self.changeTwoFactor(request, context: context) }
        router.post("settings/notifications") { request, context in try await self.changeNotifications(request, context: context) }
    }

    private func page(_ viewer: Viewer, notice: String?) async throws -> Response {
        let organization = viewer.organization
        let plans = dashboard.config.plans.sorted { ($0.value.basePrice, $0.key) < ($1.value.basePrice, $1.key) }
        let planRows = plans.map { key, plan -> HTML in
            let limits = plan.limits(livemode: true)
            return """
                <tr><td>\(plan.name)\(key == organization.plan ? " (current)" : "")</td><td>\(Money.format(Int64(plan.basePrice), plan.currency)) / month</td>
                <td>\(limits.monthlyQuota.map { "\($0) requests" } ?? "—")</td><td>\(limits.perMinute.map { "\($0)/min" } ?? "—")</td>
                <td>\(plan.overagePer1000.map { Money.format(Int64($0), plan.currency) + " per 1,000" } ?? "none: the quota is a hard limit")</td></tr>
                """
        }
        let planForm: HTML =
            viewer.role.may(.changePlan)
            ? """
            <form method="post" action="/dashboard/settings/plan">\(Layout.csrf(viewer))
            \(Layout.select("plan", "Plan", plans.map { ($0.key, $0.value.name) }, selected: organization.plan))
            <button type="submit">Change plan</button></form>
            """
            : "<p>Only an owner can change the plan.</p>"
        let captureForm: HTML =
            viewer.role.may(.changeSettings)
            ? """
            <form method="post" action="/dashboard/settings/body-capture">\(Layout.csrf(viewer))
            <input type="hidden" name="body_capture" value="\(organization.bodyCapture ? "off" : "on")">
            <button type="submit">\(organization.bodyCapture ? "Turn body capture off" : "Turn body capture on")</button></form>
            """
            : ""
        let pinned = organization.apiVersion ?? APIVersions.first.id
        let versionForm: HTML =
            viewer.role.may(.changeSettings)
            ? """
            <form method="post" action="/dashboard/settings/api-version">\(Layout.csrf(viewer))
            \(Layout.select("api_version", "Default API version", APIVersions.all.reversed().map { ($0.id, $0.id + ($0.deprecatedAt != nil ? " (deprecated)" : "")) }, selected: pinned))
            <button type="submit">Pin version</button></form>
            """
            : ""
        let required = organization.requireTwoFactor
        let twoFactorForm: HTML =
            viewer.role.may(.changeSettings)
            ? """
            <form method="post" action="/dashboard/settings/two-factor">\(Layout.csrf(viewer))
            <input type="hidden" name="require" value="\(required ? "off" : "on")">
            <button type="submit">\(required ? "Stop requiring two-factor sign-in" : "Require two-factor sign-in")</button></form>
            """
            : ""
        let notifications = organization.notifications
        let alertRows = AlertKind.allCases.map { kind -> HTML in
            let on = notifications.mails(kind)
            return viewer.role.may(.changeSettings)
                ? """
                <p><input type="checkbox" id="alert-\(kind.rawValue)" name="mail" value="\(kind.rawValue)"\(on ? " checked" : "")>
                <label for="alert-\(kind.rawValue)">\(kind.title)</label></p>
                """
                : "<li>\(kind.title): \(on ? "mailed" : "not mailed")</li>"
        }
        let notificationsForm: HTML =
            viewer.role.may(.changeSettings)
            ? """
            <form method="post" action="/dashboard/settings/notifications">\(Layout.csrf(viewer))
            <fieldset><legend>Mail owners and admins when</legend>\(alertRows)</fieldset>
            <button type="submit">Save notifications</button></form>
            """
            : "<ul>\(alertRows)</ul>"
        let retentionRows = dashboard.config.retentionPolicy.kinds.map { kind, kept, setting -> HTML in
            "<tr><td>\(kind)</td><td>\(kept)</td><td><code>\(setting)</code></td></tr>"
        }
        let body: HTML = """
            <h1>Settings</h1>
            <section aria-labelledby="notifications-heading"><h2 id="notifications-heading">Notifications</h2>
            <p>Each alert is also an event (<code>webhook_endpoint.disabled</code>, <code>webhook_delivery.exhausted</code>) your webhooks can receive,
            whatever is chosen here.</p>
            \(notificationsForm)</section>
            <section aria-labelledby="two-factor-heading"><h2 id="two-factor-heading">Two-factor sign-in</h2>
            <p>Two-factor sign-in is <strong>\(required ? "required" : "not required")</strong> of this organization's members.
            When required, a member without it is sent to set it up before seeing anything else, and cannot turn it off.</p>
            \(twoFactorForm)</section>
            <section aria-labelledby="version-heading"><h2 id="version-heading">API version</h2>
            <p>Requests without a <code>Portico-Version</code> header use <strong>\(pinned)</strong>. The newest version is \(APIVersions.current.id);
            what changed is in the <a href="/docs/changelog">changelog</a>. Test a new version with the header before pinning it.</p>
            \(versionForm)</section>
            <section aria-labelledby="plan-heading"><h2 id="plan-heading">Plan</h2>
            \(Layout.table(caption: "Plans (live-mode limits; test mode has lower ones)", headers: ["Plan", "Base price", "Monthly quota", "Rate", "Overage"], rows: planRows, empty: "No plans configured."))
            \(planForm)</section>
            <section aria-labelledby="capture-heading"><h2 id="capture-heading">Request body capture</h2>
            <p>Body capture is <strong>\(organization.bodyCapture ? "on" : "off")</strong>. When on, request and response bodies are kept in the request log
            (size-capped, with secrets, passwords, tokens and card-like numbers replaced) for debugging. Turn it off when you are done.</p>
            \(captureForm)</section>
            <section aria-labelledby="retention-heading"><h2 id="retention-heading">Data retention</h2>
            <p>How long Portico keeps each kind of data, for every organization on this installation; older data is deleted once a day.
            The operators of this installation set these periods in its configuration.</p>
            \(Layout.table(caption: "Retention periods", headers: ["Data", "Kept for", "Setting"], rows: retentionRows, empty: "No retention periods."))</section>
            """
        return WebPage.response(Layout.page(viewer, title: "Settings", current: "/dashboard/settings", notice: notice, body: body))
    }

    private func changePlan(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context, requiring: .changePlan)
        guard let plan = form.text("plan"), dashboard.config.plans[plan] != nil else {
            throw DashboardError.badRequest("Choose one of the plans listed.")
        }
        return try await update(viewer, context: context, plan: plan)
    }

    private func changeAPIVersion(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context, requiring: .changeSettings)
        guard let version = form.text("api_version").flatMap(APIVersions.named) else {
            throw DashboardError.badRequest("Choose one of the versions listed.")
        }
        return try await update(viewer, context: context, apiVersion: version.id)
    }

    private func changeBodyCapture(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context, requiring: .changeSettings)
        guard let value = form["body_capture"], value == "on" || value == "off" else { throw DashboardError.badRequest("Body capture is on or off.") }
        return try await update(viewer, context: context, bodyCapture: value == "on")
    }

    private func changeNotifications(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context, requiring: .changeSettings)
        let chosen = form.all("mail")
        guard chosen.allSatisfy({ AlertKind(rawValue: $0) != nil }) else { throw DashboardError.badRequest("Choose among the alerts listed.") }
        let settings = NotificationSettings(off: Set(AlertKind.allCases.filter { !chosen.contains($0.rawValue) }))
        let now = dashboard.clock.nowMilliseconds
        let audit = viewer.actor(request: context).entry(
            "organization.notifications_changed",
            organizationID: viewer.organization.id,
            targetType: "organization",
            targetID: viewer.organization.id,
            details: ["off": settings.off.map(\.rawValue).sorted().joined(separator: ",")],
            at: now
        )
        _ = try await dashboard.store.modifyOrganization(id: viewer.organization.id, at: now, audit: audit) {
            $0.notificationSettings = settings.stored
        }
        return WebPage.redirect(to: "/dashboard/settings")
    }

    private func changeTwoFactor(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context, requiring: .changeSettings)
        guard let value = form["require"], value == "on" || value == "off" else {
            throw DashboardError.badRequest("Two-factor sign-in is required or not.")
        }
        let require = value == "on"
        // Whoever requires it has it: the setting must not send its own author to set it up.
        guard !require || viewer.user.hasTwoFactor else {
            throw DashboardError.badRequest("Set up two-factor sign-in for your own account first (on your account page).")
        }
        let now = dashboard.clock.nowMilliseconds
        let audit = viewer.actor(request: context).entry(
            require ? "organization.two_factor_required" : "organization.two_factor_not_required",
            organizationID: viewer.organization.id,
            targetType: "organization",
            targetID: viewer.organization.id,
            at: now
        )
        _ = try await dashboard.store.modifyOrganization(id: viewer.organization.id, at: now, audit: audit) { $0.requireTwoFactor = require }
        return WebPage.redirect(to: "/dashboard/settings")
    }

    /// Through `BillingService`, as the CLI does: audited, and the key cache invalidated so requests see it at once.
    private func update(
        _ viewer: Viewer,
        context: Context,
        plan: String? = nil,
        bodyCapture: Bool? = nil,
        apiVersion: String? = nil
    ) async throws -> Response {
        try await dashboard.runtime.billing.updateOrganization(
            id: viewer.organization.id,
            plan: plan,
            bodyCapture: bodyCapture,
            apiVersion: apiVersion,
            by: viewer.actor(request: context)
        )
        return WebPage.redirect(to: "/dashboard/settings")
    }
}
