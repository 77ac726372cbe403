import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Request logs of the current organization and mode: a filterable list
/// (a GET form, so a filtered view is a link), newest first, 50 a page, and
/// a detail page by request id.
struct LogsPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("logs") { request, _ in try await self.list(request) }
        router.get("logs/:request_id") { request, context in try await self.detail(request, context: context) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? { query.get(name).flatMap { $0.isEmpty ? nil : $0 } }
        let statusClass = value("status_class").flatMap { ["2xx", "3xx", "4xx", "5xx"].contains($0) ? Int(String($0.prefix(1))) : nil }
        let method = value("method").flatMap { ["GET", "POST", "PATCH", "DELETE"].contains($0) ? $0 : nil }
        let hours = value("hours").flatMap(Int.init).flatMap { [1, 24, 168, 720].contains($0) ? $0 : nil } ?? 24
        let now = dashboard.clock.nowMilliseconds
        let filter = RequestLogFilter(
            status: value("status").flatMap(Int.init),
            statusClass: statusClass,
            method: method,
            pathPrefix: value("path_prefix"),
            keyId: value("key_id"),
            since: now - Int64(hours) * 3_600_000,
            until: nil
        )
        let budget = dashboard.runtime.config.dashboard.logSearchRows
        let page: RequestLogSearch
        do {
            page = try await dashboard.store.searchRequestLogs(
                scope: viewer.scope,
                filter: filter,
                page: PageRequest(limit: 50, startingAfter: value("starting_after")),
                width: dashboard.runtime.partitionWidth,
                scanBudget: budget
            )
        } catch StoreError.notFound {
            throw DashboardError.badRequest("That page of the log no longer exists; start from the newest.")
        }
        let rows = page.items.map { entry -> HTML in
            """
            <tr class="status-\(entry.status / 100)xx"><td>\(Layout.time(entry.createdAt))</td><td>\(entry.method)</td>
            <td><a href="/dashboard/logs/\(entry.requestId)">\(entry.path)</a></td><td>\(entry.status)</td>
            <td>\(String(format: "%.1f", Double(entry.durationMicroseconds) / 1_000)) ms</td><td><code>\(entry.keyId ?? "—")</code></td></tr>
            """
        }

        let older = Layout.olderLink(
            "/dashboard/logs",
            query: query.map { (String($0.key), String($0.value)) },
            after: page.nextCursor,
            label: page.stoppedAt == nil ? "Older requests" : "Search older requests"
        )
        let stopped: HTML =
            page.stoppedAt == nil
            ? ""
            : """
            <p class="notice" role="status">Searched the newest \(budget) requests \
            \(value("starting_after") == nil ? "in this window" : "after the previous page"); \
            \(page.items.isEmpty ? "none" : "\(page.items.count)") matched. Older requests were not searched yet.</p>
            """
        let body: HTML = """
            <h1>Request logs</h1>
            <form method="get" action="/dashboard/logs" class="filters">
            \(Layout.select("hours", "Time", [("1", "Last hour"), ("24", "Last 24 hours"), ("168", "Last 7 days"), ("720", "Last 30 days")], selected: String(hours)))
            \(Layout.select("status_class", "Status", [("", "Any"), ("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx")], selected: value("status_class")))
            \(Layout.select("method", "Method", [("", "Any"), ("GET", "GET"), ("POST", "POST"), ("PATCH", "PATCH"), ("DELETE", "DELETE")], selected: method))
            <label for="path_prefix">Path starts with</label><input id="path_prefix" name="path_prefix" value="\(value("path_prefix"))">
            <label for="key_id">Key id</label><input id="key_id" name="key_id" value="\(value("key_id"))">
            <button type="submit">Filter</button>
            </form>
            \(Layout.table(caption: "Newest first", headers: ["Time", "Method", "Path", "Status", "Duration", "Key"], rows: rows, empty: "No requests match."))
            \(stopped)
            \(older)
            """
        return WebPage.response(Layout.page(viewer, title: "Request logs", current: "/dashboard/logs", body: body))
    }

    /// One request's timeline: its log row, the events it emitted with their deliveries, its audit rows.
    private func detail(_ request: Request, context: Context) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let id = try context.parameters.require("request_id")
        let timeline = try await dashboard.store.requestTimeline(requestId: id, scope: viewer.scope, width: dashboard.runtime.partitionWidth)
        guard !timeline.isEmpty else { throw DashboardError.notFound }
        let title: HTML = timeline.log.map { "\($0.method) \($0.path)" } ?? "Request \(id)"
        let body: HTML = """
            <p><a href="/dashboard/logs">All request logs</a></p>
            <h1>\(title)</h1>
            \(RequestTimelineView.render(timeline, requestId: id, forStaff: false))
            \(timeline.log?.requestBody == nil && timeline.log != nil ? "<p>An admin can turn on body capture in Settings.</p>" as HTML : .empty)
            """
        return WebPage.response(Layout.page(viewer, title: "Request \(id)", current: "/dashboard/logs", body: body))
    }
}
