import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Webhook endpoints of the current organization and mode: list and create,
/// and a page per endpoint to change it, reveal or rotate its signing
/// secret, send a test event, replay failed deliveries, or delete it. The
/// rules are `WebhookEndpointService`'s, the same as the API's.
struct WebhooksPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard
    var service: WebhookEndpointService { dashboard.runtime.webhookEndpoints }

    func register(on router: RouterGroup<Context>) {
        router.get("webhooks") { request, _ in try await self.list(try await dashboard.viewer(request)) }
        router.post("webhooks") { request, context in try await self.create(request, context: context) }
        router.get("webhooks/:id") { request, context in
            let viewer = try await dashboard.viewer(request)
            return try await self.detail(viewer, try await ownEndpoint(context, viewer: viewer), notice: Self.notice(request))
        }
        router.post("webhooks/:id") { request, context in try await self.update(request, context: context) }
        router.post("webhooks/:id/secret") { request, context in try await self.reveal(request, context: context) }
        router.post("webhooks/:id/rotate-secret") { request, context in try await self.rotate(request, context: context) }
        router.post("webhooks/:id/test") { request, context in try await self.test(request, context: context) }
        router.post("webhooks/:id/replay") { request, context in try await self.replay(request, context: context) }
        router.post("webhooks/:id/delete") { request, context in try await self.delete(request, context: context) }
    }

    // MARK: Pages

    private func list(_ viewer: Viewer, error: String? = nil, notice: String? = nil) async throws -> Response {
        let endpoints = try await dashboard.store.endpoints(scope: viewer.scope, page: PageRequest(limit: 100))
        let rows = endpoints.items.map { endpoint -> HTML in
            """
            <tr><td><a href="/dashboard/webhooks/\(endpoint.id)">\(endpoint.url)</a><br><code>\(endpoint.id)</code></td>
            <td>\(Self.events(endpoint).joined(separator: ", "))</td><td>\(Self.status(endpoint))</td><td>\(Layout.time(endpoint.createdAt))</td></tr>
            """
        }
        let create: HTML =
            viewer.role.may(.manageWebhooks(live: viewer.livemode))
            ? """
            <section aria-labelledby="create"><h2 id="create">Add an endpoint</h2>
            <form method="post" action="/dashboard/webhooks">\(Layout.csrf(viewer))
            \(Self.fields(url: nil, events: nil, description: nil))
            <p><button type="submit">Add endpoint</button></p>
            </form></section>
            """
            : "<p>Your role can see endpoints but not add or change them in this mode.</p>"
        let body: HTML = """
            <h1>Webhook endpoints</h1>
            \(Layout.alert(error))
            \(Layout.table(caption: "\(viewer.livemode ? "Live" : "Test") endpoints", headers: ["URL", "Events", "Status", "Created"], rows: rows, empty: "No endpoints yet."))
            <p><a href="/dashboard/deliveries">All deliveries</a> · <a href="/dashboard/events">All events</a></p>
            \(create)
            """
        return WebPage.response(Layout.page(viewer, title: "Webhooks", current: "/dashboard/webhooks", notice: notice, body: body))
    }

    private func detail(
        _ viewer: Viewer,
        _ endpoint: WebhookEndpointRecord,
        notice: String? = nil,
        error: String? = nil,
        revealed: Bool = false
    ) async throws -> Response {
        let deliveries = try await dashboard.store.deliveries(
            scope: viewer.scope,
            filter: DeliveryFilter(endpointId: endpoint.id),
            page: PageRequest(limit: 20)
        )
        let now = dashboard.clock.nowMilliseconds
        let canManage = viewer.role.may(.manageWebhooks(live: endpoint.livemode))
        let action = "/dashboard/webhooks/\(endpoint.id)"
        let secrets: HTML
        if revealed {
            let previous: HTML =
                endpoint.signingSecrets(at: now).count > 1
                ? "<p>The previous secret also signs until \(Layout.time(endpoint.previousSecretExpiresAt)).</p>" : ""
            secrets = """
                <p><label for="secret">Signing secret</label><input id="secret" readonly size="50" value="\(try dashboard.runtime.webhookEndpoints.signingSecret(of: endpoint))"></p>\(previous)
                """
        } else if viewer.role.may(.revealSecrets(live: endpoint.livemode)) {
            secrets =
                "<form method=\"post\" action=\"\(action)/secret\">\(Layout.csrf(viewer))<button type=\"submit\">Reveal signing secret</button></form>"
        } else {
            secrets = "<p>Your role cannot see signing secrets in this mode.</p>"
        }
        let manage: HTML =
            canManage
            ? """
            <section aria-labelledby="actions"><h2 id="actions">Actions</h2>
            <form method="post" action="\(action)/test" class="inline">\(Layout.csrf(viewer))<button type="submit">Send test event</button></form>
            <form method="post" action="\(action)/rotate-secret" class="inline">\(Layout.csrf(viewer))
            \(Layout.select("overlap_hours", "Old secret keeps signing for", [("0", "no overlap"), ("1", "1 hour"), ("24", "24 hours"), ("72", "3 days"), ("168", "7 days")], selected: "24"))
            <button type="submit">Rotate secret</button></form>
            <form method="post" action="\(action)/replay" class="inline">\(Layout.csrf(viewer))
            \(Layout.select("since_hours", "Replay failed deliveries from", [("1", "the last hour"), ("24", "the last 24 hours"), ("168", "the last 7 days"), ("0", "all kept")], selected: "24"))
            <button type="submit">Replay</button></form>
            </section>
            <section aria-labelledby="edit"><h2 id="edit">Change</h2>
            <form method="post" action="\(action)">\(Layout.csrf(viewer))
            \(Self.fields(url: endpoint.url, events: Self.events(endpoint), description: endpoint.description))
            <fieldset><legend>Status</legend>
            <label><input type="radio" name="status" value="enabled"\(endpoint.status == .enabled ? " checked" : "")> Enabled</label>
            <label><input type="radio" name="status" value="disabled"\(endpoint.status == .disabled ? " checked" : "")> Disabled</label>
            </fieldset>
            <p><button type="submit">Save</button></p></form>
            <form method="post" action="\(action)/delete">\(Layout.csrf(viewer))<button type="submit" class="danger">Delete endpoint</button></form>
            </section>
            """
            : ""
        let body: HTML = """
            <p><a href="/dashboard/webhooks">All endpoints</a></p>
            <h1>\(endpoint.url)</h1>
            \(Layout.alert(error))
            \(Layout.facts(caption: "Endpoint <code>\(endpoint.id)</code>", [
                ("Status", "\(Self.status(endpoint))"),
                ("Events", "\(Self.events(endpoint).joined(separator: ", "))"),
                ("Description", "\(endpoint.description ?? "—")"),
                ("Created", Layout.time(endpoint.createdAt)),
                ("Failing since", Layout.time(endpoint.failingSince)),
            ]))
            <section aria-labelledby="secret-heading"><h2 id="secret-heading">Signing secret</h2>\(secrets)
            <p>Verify deliveries as the <a href="/docs">docs</a> shows.</p></section>
            \(manage)
            <h2>Recent deliveries</h2>
            \(DeliveriesPages.table(deliveries.items, caption: "Newest first"))
            <p><a href="/dashboard/deliveries?endpoint=\(endpoint.id)">All deliveries to this endpoint</a></p>
            """
        return WebPage.response(Layout.page(viewer, title: "Endpoint \(endpoint.id)", current: "/dashboard/webhooks", notice: notice, body: body))
    }

    // MARK: Actions

    private func create(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context) { .manageWebhooks(live: $0.livemode) }
        do {
            let input = try await EndpointInput(body: Self.body(form, includeStatus: false), policy: service.policy, livemode: viewer.scope.livemode)
            let endpoint = try await service.create(input, scope: viewer.scope, by: viewer.actor(request: context))
            return WebPage.redirect(to: "/dashboard/webhooks/\(endpoint.id)?done=created")
        } catch let error as APIError {
            return try await list(viewer, error: error.detail)
        }
    }

    private func update(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, endpoint, form) = try await managed(&request, context: context)
        do {
            let input = try await EndpointInput(
                body: Self.body(form, includeStatus: true),
                policy: service.policy,
                livemode: viewer.scope.livemode,
                current: endpoint
            )
            _ = try await service.update(id: endpoint.id, scope: viewer.scope, with: input, by: viewer.actor(request: context))
            return WebPage.redirect(to: "/dashboard/webhooks/\(endpoint.id)?done=saved")
        } catch let error as APIError {
            return try await detail(viewer, endpoint, error: error.detail)
        }
    }

    private func reveal(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        _ = try await dashboard.form(&request, context: context, viewer: viewer)
        let endpoint = try await ownEndpoint(context, viewer: viewer)
        try viewer.require(.revealSecrets(live: endpoint.livemode))
        return try await detail(viewer, endpoint, revealed: true)
    }

    private func rotate(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, endpoint, form) = try await managed(&request, context: context)
        guard let hours = Int(form["overlap_hours"] ?? "24"), hours >= 0 else {
            throw DashboardError.badRequest("The overlap must be a number of hours.")
        }
        do {
            _ = try await service.rotateSecret(
                id: endpoint.id,
                scope: viewer.scope,
                overlapSeconds: hours * 3_600,
                by: viewer.actor(request: context)
            )
            return WebPage.redirect(to: "/dashboard/webhooks/\(endpoint.id)?done=rotated")
        } catch let error as APIError {
            return try await detail(viewer, endpoint, error: error.detail)
        }
    }

    private func test(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, endpoint, _) = try await managed(&request, context: context)
        do {
            _ = try await service.sendTest(to: endpoint, requestID: context.requestID)
            return WebPage.redirect(to: "/dashboard/webhooks/\(endpoint.id)?done=tested")
        } catch let error as APIError {
            return try await detail(viewer, endpoint, error: error.detail)
        }
    }

    private func replay(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, endpoint, form) = try await managed(&request, context: context)
        guard let hours = Int(form["since_hours"] ?? "24"), hours >= 0 else { throw DashboardError.badRequest("Choose how far back to replay.") }
        let now = dashboard.clock.nowMilliseconds
        do {
            let job = try await service.startReplay(of: endpoint, since: hours == 0 ? 0 : now - Int64(hours) * 3_600_000, until: now + 1)
            return WebPage.redirect(to: "/dashboard/webhooks/\(endpoint.id)?done=replay&job=\(job.id)")
        } catch let error as APIError {
            return try await detail(viewer, endpoint, error: error.detail)
        }
    }

    private func delete(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, endpoint, _) = try await managed(&request, context: context)
        _ = try await service.delete(id: endpoint.id, scope: viewer.scope, by: viewer.actor(request: context))
        return try await list(viewer, notice: "Endpoint \(endpoint.url) was deleted.")
    }

    // MARK: Helpers

    /// The viewer, the endpoint in the URL (theirs, this mode) and the checked form, for an action their role must allow.
    private func managed(_ request: inout Request, context: Context) async throws -> (Viewer, WebhookEndpointRecord, FormData) {
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer)
        let endpoint = try await ownEndpoint(context, viewer: viewer)
        try viewer.require(.manageWebhooks(live: endpoint.livemode))
        return (viewer, endpoint, form)
    }

    private func ownEndpoint(_ context: Context, viewer: Viewer) async throws -> WebhookEndpointRecord {
        guard let endpoint = try await dashboard.store.endpoint(id: try context.parameters.require("id"), scope: viewer.scope)
        else { throw DashboardError.notFound }
        return endpoint
    }

    private static func notice(_ request: Request) -> String? {
        switch request.uri.queryParameters.get("done") {
        case "created": "Endpoint added. Reveal its signing secret below to verify deliveries."
        case "saved": "Changes saved."
        case "rotated": "Secret rotated. Reveal it below; the old one signs alongside it for the overlap you chose."
        case "tested": "A portico.test event is on its way; it appears under Recent deliveries."
        case "replay": "Replay started: failed and dead deliveries are queued again."
        default: nil
        }
    }

    /// The form as the API body `EndpointInput` validates: event types one per line or comma-separated.
    private static func body(_ form: FormData, includeStatus: Bool) -> RequestBody {
        var fields: [String: JSONValue] = [
            "url": .string(form.text("url") ?? ""),
            "enabled_events": .array(
                (form["enabled_events"] ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map { .string(String($0)) }
            ),
            "description": form.text("description").map(JSONValue.string) ?? .null,
        ]
        if includeStatus, let status = form.text("status") { fields["status"] = .string(status) }
        return RequestBody(fields: fields)
    }

    private static func fields(url: String?, events: [String]?, description: String?) -> HTML {
        """
        <p><label for="url">URL</label><input id="url" name="url" type="url" required size="60" value="\(url ?? "")" placeholder="https://example.com/webhooks"></p>
        <p><label for="enabled_events">Events (one per line: customer.created, customer.* or * for all)</label>
        <textarea id="enabled_events" name="enabled_events" rows="3" required>\((events ?? ["*"]).joined(separator: "\n"))</textarea></p>
        <p><label for="description">Description</label><input id="description" name="description" maxlength="1000" size="60" value="\(description ?? "")"></p>
        """
    }

    static func events(_ endpoint: WebhookEndpointRecord) -> [String] {
        StoredJSON.stringArray(endpoint.enabledEvents)
    }

    static func status(_ endpoint: WebhookEndpointRecord) -> String {
        switch (endpoint.status, endpoint.disabledReason) {
        case (.enabled, _): "Enabled"
        case (.disabled, "manual"?): "Disabled"
        case (.disabled, let reason?): "Disabled (\(reason.replacingOccurrences(of: "_", with: " ")))"
        case (.disabled, nil): "Disabled"
        }
    }
}
