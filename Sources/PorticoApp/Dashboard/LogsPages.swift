import Foundation
import Hummingbird
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
            status: value("status").flatMap(Int.init), statusClass: statusClass, method: method, pathPrefix: value("path_prefix"),
            keyId: value("key_id"), since: now - Int64(hours) * 3_600_000, until: nil)
        let page: Page<RequestLogEntry>
        do {
            page = try await dashboard.store.requestLogs(
                scope: viewer.scope, filter: filter, page: PageRequest(limit: 50, startingAfter: value("starting_after")),
                width: dashboard.runtime.partitionWidth)
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
        func select(_ name: String, _ label: String, _ choices: [(String, String)], _ current: String?) -> HTML {
            """
            <label for="\(name)">\(label)</label><select id="\(name)" name="\(name)">\(choices.map { Layout.option($0.0, $0.1, selected: $0.0 == (current ?? "")) })</select>
            """
        }
        var older: HTML = ""
        if page.hasMore, let last = page.items.last {
            var items = query.map { (String($0.key), String($0.value)) }.filter { $0.0 != "starting_after" }
            items.append(("starting_after", last.requestId))
            let link = items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            older = "<p><a href=\"/dashboard/logs?\(link)\">Older requests</a></p>"
        }
        let body: HTML = """
            <h1>Request logs</h1>
            <form method="get" action="/dashboard/logs" class="filters">
            \(select("hours", "Time", [("1", "Last hour"), ("24", "Last 24 hours"), ("168", "Last 7 days"), ("720", "Last 30 days")], String(hours)))
            \(select("status_class", "Status", [("", "Any"), ("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx")], value("status_class")))
            \(select("method", "Method", [("", "Any"), ("GET", "GET"), ("POST", "POST"), ("PATCH", "PATCH"), ("DELETE", "DELETE")], method))
            <label for="path_prefix">Path starts with</label><input id="path_prefix" name="path_prefix" value="\(value("path_prefix"))">
            <label for="key_id">Key id</label><input id="key_id" name="key_id" value="\(value("key_id"))">
            <button type="submit">Filter</button>
            </form>
            \(Layout.table(caption: "Newest first", headers: ["Time", "Method", "Path", "Status", "Duration", "Key"], rows: rows, empty: "No requests match."))
            \(older)
            """
        return WebPage.response(Layout.page(viewer, title: "Request logs", current: "/dashboard/logs", body: body))
    }

    private func detail(_ request: Request, context: Context) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let id = try context.parameters.require("request_id")
        guard let entry = try await dashboard.store.requestLog(requestId: id, scope: viewer.scope, width: dashboard.runtime.partitionWidth)
        else { throw DashboardError.notFound }
        func row(_ name: String, _ value: HTML) -> HTML { "<tr><th scope=\"row\">\(name)</th><td>\(value)</td></tr>" }
        let body: HTML = """
            <p><a href="/dashboard/logs">All request logs</a></p>
            <h1>\(entry.method) \(entry.path)</h1>
            <table class="facts"><caption>Request <code>\(entry.requestId)</code></caption><tbody>
            \(row("Status", "\(entry.status)"))
            \(row("Route", "\(entry.route ?? "no route matched")"))
            \(row("Duration", "\(String(format: "%.3f", Double(entry.durationMicroseconds) / 1_000)) ms"))
            \(row("Time", Layout.time(entry.createdAt)))
            \(row("Key", "<code>\(entry.keyId ?? "none")</code>"))
            \(row("Client IP", "\(entry.ip ?? "—")"))
            \(row("User agent", "\(entry.userAgent ?? "—")"))
            </tbody></table>
            <h2>Request body</h2>\(entry.requestBody.map { "<pre>\($0)</pre>" as HTML } ?? "<p>Not captured. An admin can turn on body capture in Settings.</p>")
            <h2>Response body</h2>\(entry.responseBody.map { "<pre>\($0)</pre>" as HTML } ?? "<p>Not captured.</p>")
            """
        return WebPage.response(Layout.page(viewer, title: "Request \(entry.requestId)", current: "/dashboard/logs", body: body))
    }
}
