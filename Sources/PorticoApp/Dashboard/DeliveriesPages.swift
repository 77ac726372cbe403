import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Webhook deliveries of the current organization and mode: a filterable
/// list, and a page per delivery with every attempt (status, duration,
/// error, response excerpt) and a button to retry it now.
struct DeliveriesPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("deliveries") { request, _ in try await self.list(request) }
        router.get("deliveries/:id") { request, context in
            try await self.detail(try await dashboard.viewer(request), id: try context.parameters.require("id"), notice: nil)
        }
        router.post("deliveries/:id/retry") { request, context in try await self.retry(request, context: context) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? { query.get(name).flatMap { $0.isEmpty ? nil : $0 } }
        let status = value("status").flatMap(WebhookDeliveryRecord.Status.init)
        let filter = DeliveryFilter(endpointId: value("endpoint"), eventId: value("event"), status: status)
        let page: Page<DeliveryView>
        do {
            page = try await dashboard.store.deliveries(
                scope: viewer.scope,
                filter: filter,
                page: PageRequest(limit: 50, startingAfter: value("starting_after"))
            )
        } catch StoreError.notFound {
            throw DashboardError.badRequest("That page of deliveries no longer exists; start from the newest.")
        }
        let statuses = [("", "Any")] + WebhookDeliveryRecord.Status.allCases.map { ($0.rawValue, $0.rawValue.capitalized) }
        let body: HTML = """
            <h1>Webhook deliveries</h1>
            <form method="get" action="/dashboard/deliveries" class="filters">
            \(Layout.select("status", "Status", statuses, selected: value("status")))
            <label for="endpoint">Endpoint id</label><input id="endpoint" name="endpoint" value="\(value("endpoint"))">
            <label for="event">Event id</label><input id="event" name="event" value="\(value("event"))">
            <button type="submit">Filter</button>
            </form>
            \(Self.table(page.items, caption: "Newest first"))
            \(Layout.olderLink(
                "/dashboard/deliveries", query: query.map { (String($0.key), String($0.value)) },
                after: page.hasMore ? page.items.last?.delivery.id : nil, label: "Older deliveries"))
            """
        return WebPage.response(Layout.page(viewer, title: "Deliveries", current: "/dashboard/webhooks", body: body))
    }

    private func detail(_ viewer: Viewer, id: String, notice: String?) async throws -> Response {
        guard let (view, attempts) = try await dashboard.store.delivery(id: id, scope: viewer.scope) else { throw DashboardError.notFound }
        let delivery = view.delivery
        let rows = attempts.reversed().map { attempt -> HTML in
            """
            <tr><td>\(Layout.time(attempt.attemptedAt))</td><td>\(attempt.statusCode.map(String.init) ?? "—")</td>
            <td>\(attempt.errorKind?.rawValue ?? "—")</td><td>\(attempt.durationMs) ms</td>
            <td>\(attempt.responseExcerpt.map { "<pre>\($0)</pre>" as HTML } ?? "—")</td></tr>
            """
        }
        let retry: HTML =
            viewer.role.may(.manageWebhooks(live: delivery.livemode))
            ? """
            <form method="post" action="/dashboard/deliveries/\(delivery.id)/retry">\(Layout.csrf(viewer))
            <button type="submit">Retry now</button></form>
            """
            : ""
        let body: HTML = """
            <p><a href="/dashboard/deliveries">All deliveries</a></p>
            <h1>Delivery of \(view.eventType)</h1>
            \(Layout.facts(caption: "Delivery <code>\(delivery.id)</code>", [
                ("Status", "\(Self.statusLabel(delivery.status))"),
                ("Endpoint", "<a href=\"/dashboard/webhooks/\(delivery.endpointId)\"><code>\(delivery.endpointId)</code></a>"),
                ("Event", "<a href=\"/dashboard/events/\(delivery.eventId)\"><code>\(delivery.eventId)</code></a>"),
                ("Attempts", "\(delivery.attemptCount)"),
                ("Next attempt", Layout.time(delivery.nextAttemptAt)),
                ("Created", Layout.time(delivery.createdAt)),
            ]))
            \(retry)
            <h2>Attempts</h2>
            \(Layout.table(caption: "Newest first", headers: ["Time", "HTTP status", "Error", "Duration", "Response"], rows: Array(rows), empty: "No attempt yet."))
            """
        return WebPage.response(Layout.page(viewer, title: "Delivery \(delivery.id)", current: "/dashboard/webhooks", notice: notice, body: body))
    }

    private func retry(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        _ = try await dashboard.form(&request, context: context, viewer: viewer)
        let id = try context.parameters.require("id")
        guard let (view, _) = try await dashboard.store.delivery(id: id, scope: viewer.scope) else { throw DashboardError.notFound }
        try viewer.require(.manageWebhooks(live: view.delivery.livemode))
        _ = try await dashboard.runtime.webhookEndpoints.retry(deliveryID: id, scope: viewer.scope)
        return try await detail(viewer, id: id, notice: "Retry queued: the delivery is due now.")
    }

    /// Deliveries as a table linking to each one.
    static func table(_ deliveries: [DeliveryView], caption: String) -> HTML {
        Layout.table(
            caption: caption,
            headers: ["Created", "Event", "Status", "Attempts", "Last HTTP status"],
            rows: deliveries.map { view in
                let delivery = view.delivery
                return """
                    <tr><td>\(Layout.time(delivery.createdAt))</td>
                    <td><a href="/dashboard/deliveries/\(delivery.id)">\(view.eventType)</a></td>
                    <td>\(statusLabel(delivery.status))</td><td>\(delivery.attemptCount)</td><td>\(delivery.lastStatusCode.map(String.init) ?? "—")</td></tr>
                    """
            },
            empty: "No deliveries."
        )
    }

    static func statusLabel(_ status: WebhookDeliveryRecord.Status) -> String {
        switch status {
        case .pending: "Pending"
        case .failed: "Failed, will retry"
        case .succeeded: "Succeeded"
        case .dead: "Gave up"
        }
    }
}
