import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// API keys of the current organization and mode: list, create (the full key
/// shown once, on the page that answers the form, never again), roll with
/// an overlap, revoke.
struct KeysPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("keys") { request, _ in try await self.list(request) }
        router.post("keys") { request, context in try await self.create(request, context: context) }
        router.post("keys/:id/roll") { request, context in try await self.roll(request, context: context) }
        router.post("keys/:id/revoke") { request, context in try await self.revoke(request, context: context) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let notice = request.uri.queryParameters.get("revoked").map { "Key \($0) was revoked." }
        return try await page(viewer, notice: notice)
    }

    private func page(_ viewer: Viewer, notice: String? = nil, issued: (IssuedKey, String)? = nil, error: String? = nil) async throws -> Response {
        let keys = try await dashboard.store.apiKeys(organizationId: viewer.organization.id, livemode: viewer.livemode)
        let now = dashboard.clock.nowMilliseconds
        let canManage = viewer.role.may(.manageKeys(live: viewer.livemode))
        let overlapOptions: [HTML] = [0, 1, 24, 72, 168].map { hours in
            Layout.option(String(hours), hours == 0 ? "no overlap" : "\(hours) h overlap", selected: hours == 24)
        }
        // Portico's scopes, then the gateway's custom ones with what they allow.
        let gateway = dashboard.runtime.gateway.definition
        let scopeChoices = gateway.catalogue.scopes.map { scope -> HTML in
            let note: HTML = gateway.scopeDescriptions[scope.name].map { " — \($0)" as HTML } ?? .empty
            return "<label><input type=\"checkbox\" name=\"scopes\" value=\"\(scope.name)\"> <code>\(scope.name)</code>\(note)</label>"
        }
        let rows = keys.map { key -> HTML in
            let state = KeyState(revokedAt: key.revokedAt, expiresAt: key.expiresAt, rolledToID: key.rolledToId, now: now)
            let status = Self.title(of: state)
            let active = state.isUsable
            let actions: HTML =
                canManage && active
                ? """
                <form method="post" action="/dashboard/keys/\(key.id)/roll" class="inline">\(Layout.csrf(viewer))
                <label for="overlap-\(key.id)" class="visually-hidden">Old key stays valid for</label>
                <select id="overlap-\(key.id)" name="overlap_hours">\(overlapOptions)</select>
                <button type="submit">Roll</button></form>
                <form method="post" action="/dashboard/keys/\(key.id)/revoke" class="inline">\(Layout.csrf(viewer))
                <label for="reason-\(key.id)" class="visually-hidden">Why</label>
                <select id="reason-\(key.id)" name="reason">\(Self.reasonOptions)</select>
                <button type="submit" class="danger">Revoke</button></form>
                """
                : ""
            return """
                <tr><td>\(key.label ?? "—")<br><code>\(key.id)</code></td><td>\(key.kind)</td><td><code>\(key.prefix)…\(key.last4)</code></td>
                <td>\(key.scopes == "*" ? "all" : key.scopes.replacingOccurrences(of: " ", with: ", "))</td>
                <td>\(key.allowedCidrs.isEmpty ? "any" : key.allowedCidrs.replacingOccurrences(of: " ", with: ", "))</td>
                <td>\(Layout.time(key.createdAt))</td><td>\(Layout.time(key.lastUsedAt))</td>
                <td>\(status)\(key.expiresAt.map { _ in " " as HTML })\(key.expiresAt.map { Layout.time($0) })</td><td>\(actions)</td></tr>
                """
        }
        let shown: HTML =
            issued.map { key, heading in
                """
                <section class="secret" aria-labelledby="new-key"><h2 id="new-key">\(heading)</h2>
                <p>Copy it now: Portico keeps only a hash and will not show it again.</p>
                <p><label for="secret">Secret</label><input id="secret" readonly value="\(key.secret)" size="60"></p></section>
                """
            } ?? ""
        let create: HTML =
            canManage
            ? """
            <section aria-labelledby="create"><h2 id="create">Create a key</h2>
            <form method="post" action="/dashboard/keys">\(Layout.csrf(viewer))
            <p><label for="label">Label</label><input id="label" name="label" maxlength="200"></p>
            <fieldset><legend>Kind</legend>
            <label><input type="radio" name="kind" value="secret" checked> Secret (every scope)</label>
            <label><input type="radio" name="kind" value="restricted"> Restricted (the scopes below)</label>
            <label><input type="radio" name="kind" value="publishable"> Publishable (read-only, safe in a client)</label>
            </fieldset>
            <fieldset><legend>Scopes of a restricted key</legend>
            \(scopeChoices)
            </fieldset>
            <p><label for="expires_days">Expires after (days, empty for never)</label><input id="expires_days" name="expires_days" type="number" min="1" max="3650"></p>
            <p><label for="allowed_ips">Allowed IPs or CIDR blocks (one per line, empty for any)</label><textarea id="allowed_ips" name="allowed_ips" rows="2"></textarea></p>
            <p><button type="submit">Create key</button></p>
            </form></section>
            """
            : "<p>Your role can see keys but not create or change them in this mode.</p>"
        let body: HTML = """
            <h1>API keys</h1>
            \(Layout.alert(error))
            \(shown)
            \(Layout.table(caption: "\(viewer.livemode ? "Live" : "Test") keys", headers: ["Label", "Kind", "Key", "Scopes", "Allowed IPs", "Created", "Last used", "Status", ""], rows: rows, empty: "No keys yet."))
            \(create)
            """
        return WebPage.response(Layout.page(viewer, title: "API keys", current: "/dashboard/keys", notice: notice, body: body))
    }

    private func create(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context) { .manageKeys(live: $0.livemode) }
        guard let kind = APIKeyKind(rawValue: form["kind"] ?? "secret") else { throw DashboardError.badRequest("Unknown key kind.") }
        var expiresAt: Date?
        if let days = form.text("expires_days") {
            guard let days = Int(days), (1...3_650).contains(days) else {
                return try await page(viewer, error: "Expiry must be a number of days from 1 to 3650.")
            }
            expiresAt = dashboard.clock.now.addingTimeInterval(TimeInterval(days) * 86_400)
        }
        let newKey = NewKeyRequest(
            organizationID: viewer.organization.id,
            livemode: viewer.livemode,
            kind: kind,
            label: form.text("label"),
            scopes: kind == .restricted ? form.all("scopes") : [],
            allowedCIDRs: (form["allowed_ips"] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            },
            expiresAt: expiresAt
        )
        do {
            let issued = try await dashboard.runtime.keys.create(newKey, by: viewer.actor(request: context))
            return try await page(viewer, issued: (issued, "Your new key"))
        } catch let error as KeyRequestError {
            return try await page(viewer, error: error.description.sentence)
        }
    }

    private func roll(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer)
        let key = try await ownKey(context, viewer: viewer)
        let hours = Int(form["overlap_hours"] ?? "24") ?? 24
        guard (0...720).contains(hours) else { throw DashboardError.badRequest("The overlap must be 0 to 720 hours.") }
        do {
            guard
                let issued = try await dashboard.runtime.keys.roll(
                    id: key.id,
                    organizationID: viewer.organization.id,
                    overlap: TimeInterval(hours * 3_600),
                    by: viewer.actor(request: context)
                )
            else { throw DashboardError.notFound }
            return try await page(viewer, issued: (issued, "The replacement for \(key.id)"))
        } catch let error as KeyRequestError {
            return try await page(viewer, error: error.description.sentence)
        }
    }

    private func revoke(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer)
        let key = try await ownKey(context, viewer: viewer)
        _ = try await dashboard.runtime.keys.revoke(
            id: key.id,
            organizationID: viewer.organization.id,
            reason: try Self.reason(form["reason"]),
            by: viewer.actor(request: context)
        )
        return WebPage.redirect(to: "/dashboard/keys?revoked=\(key.id)")
    }

    /// The form's reason: none, or one of `RevocationReason` (anything else is refused, as by the API).
    static func reason(_ text: String?) throws -> RevocationReason? {
        guard let text, !text.isEmpty else { return nil }
        guard let reason = RevocationReason(rawValue: text) else { throw DashboardError.badRequest("Unknown reason.") }
        return reason
    }

    /// The revoke form's reasons; a leaked key's owners are mailed.
    static let reasonOptions: HTML = """
        <option value="">No reason given</option><option value="leaked">Leaked (mails the owners)</option>\
        <option value="unused">No longer used</option><option value="other">Other</option>
        """

    /// The key in the URL, if it belongs to the viewer's organization and mode and their role may change it.
    private func ownKey(_ context: Context, viewer: Viewer) async throws -> APIKeyRecord {
        guard let key = try await dashboard.store.apiKey(id: try context.parameters.require("id"), organizationId: viewer.organization.id),
            key.livemode == viewer.livemode
        else { throw DashboardError.notFound }
        try viewer.require(.manageKeys(live: key.livemode))
        return key
    }

    /// A key's state in a word, as the dashboard and the console show it.
    static func title(of state: KeyState) -> String {
        switch state {
        case .revoked: "Revoked"
        case .expired: "Expired"
        case .active(let expiresAt), .rolled(let expiresAt): expiresAt == nil ? "Active" : "Expires"
        }
    }
}
