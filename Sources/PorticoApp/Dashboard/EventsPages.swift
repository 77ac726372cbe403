import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Events of the current organization and mode: a list filterable by type
/// (wildcards as in endpoint subscriptions), and a page per event with its
/// data and the deliveries it caused.
struct EventsPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("events") { request, _ in try await self.list(request) }
        router.get("events/:id") { request, context in try await self.detail(request, context: context) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let query = request.uri.queryParameters
        let type = query.get("type").flatMap { $0.isEmpty ? nil : $0 }
        var error: String?
        let pattern = type.flatMap { text in
            let pattern = EventTypePattern(text)
            if pattern == nil { error = "“\(text)” is not an event type or wildcard (customer.created, customer.*)." }
            return pattern
        }
        let page: Page<EventRecord>
        do {
            page = try await dashboard.store.events(
                scope: viewer.scope,
                filter: EventFilter(type: pattern),
                page: PageRequest(limit: 50, startingAfter: query.get("starting_after").flatMap { $0.isEmpty ? nil : $0 })
            )
        } catch StoreError.notFound {
            throw DashboardError.badRequest("That page of events no longer exists; start from the newest.")
        }
        let rows = page.items.map { event -> HTML in
            "<tr><td>\(Layout.time(event.createdAt))</td><td><a href=\"/dashboard/events/\(event.id)\">\(event.type)</a></td><td><code>\(event.id)</code></td></tr>"
        }
        let body: HTML = """
            <h1>Events</h1>
            <form method="get" action="/dashboard/events" class="filters">
            <label for="type">Type</label><input id="type" name="type" value="\(type)" placeholder="customer.*">
            <button type="submit">Filter</button>
            </form>
            \(Layout.alert(error))
            \(Layout.table(caption: "Newest first", headers: ["Time", "Type", "Id"], rows: rows, empty: "No events."))
            \(Layout.olderLink(
                "/dashboard/events", query: query.map { (String($0.key), String($0.value)) },
                after: page.hasMore ? page.items.last?.id : nil, label: "Older events"))
            """
        return WebPage.response(Layout.page(viewer, title: "Events", current: "/dashboard/events", body: body))
    }

    private func detail(_ request: Request, context: Context) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        guard let event = try await dashboard.store.event(id: try context.parameters.require("id"), scope: viewer.scope)
        else { throw DashboardError.notFound }
        let deliveries = try await dashboard.store.deliveries(
            scope: viewer.scope,
            filter: DeliveryFilter(eventId: event.id),
            page: PageRequest(limit: 100)
        )
        let body: HTML = """
            <p><a href="/dashboard/events">All events</a></p>
            <h1>\(event.type)</h1>
            \(Layout.facts(caption: "Event <code>\(event.id)</code>", [
                ("Time", Layout.time(event.createdAt)),
                ("Request", event.requestId.map { "<a href=\"/dashboard/logs/\($0)\"><code>\($0)</code></a>" as HTML } ?? "—"),
            ]))
            <h2>Data</h2><pre>\(Layout.prettyJSON(event.data))</pre>
            <h2>Deliveries</h2>
            \(DeliveriesPages.table(deliveries.items, caption: "To every subscribed endpoint"))
            """
        return WebPage.response(Layout.page(viewer, title: "Event \(event.id)", current: "/dashboard/events", body: body))
    }
}
