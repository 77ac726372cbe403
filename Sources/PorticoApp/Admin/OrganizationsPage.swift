import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/admin`: every organization, searchable by name, id or member email,
/// sortable and paginated, with the figures support looks at first.
struct OrganizationsPage: Sendable {
    typealias Context = PorticoRequestContext
    let admin: Admin
    static let pageSize = 50

    func register(on router: RouterGroup<Context>) {
        router.get { request, _ in try await self.list(request) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await admin.viewer(request)
        let query = request.uri.queryParameters
        let search = query.get("q")?.trimmingCharacters(in: .whitespaces)
        let order = query.get("sort").flatMap(OrganizationOrder.init(rawValue:)) ?? .name
        let page = max(1, query.get("page").flatMap(Int.init) ?? 1)
        let (rows, total) = try await admin.runtime.organizations.list(
            search: search?.isEmpty == false ? search : nil,
            order: order,
            limit: Self.pageSize,
            offset: (page - 1) * Self.pageSize
        )
        let plans = admin.runtime.config.plans
        let table = Layout.table(
            caption: "Organizations (\(total))",
            headers: ["Organization", "Plan", "Status", "Live requests this month", "5xx, 24 h", "Webhook failures, 24 h", "Last activity"],
            rows: rows.map { row in
                let organization = row.organization
                let quota = admin.runtime.config.plan(for: organization)?.live.monthlyQuota
                let usage: HTML = quota.map { "\(row.requestsThisMonth.formatted()) of \($0.formatted())" } ?? "\(row.requestsThisMonth.formatted())"
                return """
                    <tr><td><a href="/admin/organizations/\(organization.id)">\(organization.name)</a><br><code>\(organization.id)</code></td><td>\(plans[organization.plan]?.name ?? organization.plan)</td>
                    <td>\(organization.isSuspended ? "Suspended" : "Active")</td><td>\(usage)</td>
                    <td>\(Self.percent(row.errorRate24h))</td><td>\(Self.percent(row.webhookFailureRate24h))</td>
                    <td>\(Layout.time(row.lastActivityHour))</td></tr>
                    """
            },
            empty: search == nil ? "No organizations yet." : "No organization matches “\(search ?? "")”."
        )
        let sorts: [(String, String)] = [
            ("name", "Name"), ("newest", "Newest"), ("requests", "Most requests this month"), ("errors", "Most 5xx in 24 h"),
        ]
        let pages = (total + Self.pageSize - 1) / Self.pageSize
        func link(_ page: Int) -> String {
            var items = [("sort", order.rawValue), ("page", String(page))]
            if let search, !search.isEmpty { items.insert(("q", search), at: 0) }
            return "/admin?"
                + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
        let pager: HTML =
            pages > 1
            ? """
            <nav aria-label="Pages" class="pager"><p>Page \(page) of \(pages)
            \(page > 1 ? "<a href=\"\(link(page - 1))\">Previous</a>" as HTML : .empty)
            \(page < pages ? "<a href=\"\(link(page + 1))\">Next</a>" as HTML : .empty)</p></nav>
            """
            : .empty
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: "Organizations",
                current: "/admin",
                notice: query.get("deleted") == "1" ? "Organization deleted. The staff audit page keeps the record." : nil,
                body: """
                    <h1>Organizations</h1>
                    <form method="get" action="/admin" class="filters" role="search">
                    <p><label for="q">Name, org_ id or member email</label><input id="q" name="q" type="search" value="\(search ?? "")"></p>
                    <p>\(Layout.select("sort", "Sort by", sorts, selected: order.rawValue))</p>
                    <p><button type="submit">Search</button></p>
                    </form>
                    \(table)
                    \(pager)
                    """
            )
        )
    }

    static func percent(_ rate: Double?) -> String {
        guard let rate else { return "—" }
        return String(format: "%.1f %%", rate * 100)
    }
}
