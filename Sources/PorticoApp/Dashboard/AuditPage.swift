import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// The organization's audit log, newest first, 50 a page: who did what,
/// from where, with which request. Audit rows are never edited, so a page
/// link stays valid.
struct AuditPage: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("audit") { request, _ in try await self.list(request) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let after = request.uri.queryParameters.get("starting_after")
        let page: Page<AuditEntryRecord>
        do {
            page = try await dashboard.store.auditEntries(organizationId: viewer.organization.id, page: PageRequest(limit: 50, startingAfter: after))
        } catch StoreError.notFound {
            throw DashboardError.badRequest("That page of the audit log does not exist; start from the newest.")
        }
        let older: HTML =
            page.hasMore ? page.items.last.map { "<p><a href=\"/dashboard/audit?starting_after=\($0.id)\">Older entries</a></p>" } ?? "" : ""
        let body: HTML = """
            <h1>Audit log</h1>
            \(Self.table(page.items, caption: "Newest first", forStaff: false))
            \(older)
            """
        return WebPage.response(Layout.page(viewer, title: "Audit log", current: "/dashboard/audit", body: body))
    }

    /// Audit rows as a table. Members see a staff action as "Portico staff", without the
    /// staff member's id or address; the console (`forStaff`) sees both, and the
    /// organization a row concerns.
    static func table(_ entries: [AuditEntryRecord], caption: String, forStaff: Bool, empty: String = "Nothing recorded yet.") -> HTML {
        let rows = entries.map { entry -> HTML in
            let details =
                (try? JSONSerialization.jsonObject(with: Data(entry.details.utf8)) as? [String: Any])?
                .sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") ?? ""
            let isStaff = entry.actorType == "staff"
            let actor: HTML = isStaff && !forStaff ? "Portico staff" : "\(entry.actorType)\(entry.actorId.map { " \($0)" })"
            let ip = isStaff && !forStaff ? "—" : entry.ip ?? "—"
            let request: HTML =
                entry.requestId.map { id in
                    forStaff ? "<a href=\"/admin/requests/\(id)\"><code>\(id)</code></a>" : "<code>\(id)</code>"
                } ?? "—"
            let organization: HTML =
                forStaff
                ? "<td>\(entry.organizationId.map { "<a href=\"/admin/organizations/\($0)\"><code>\($0)</code></a>" as HTML } ?? "—")</td>" : ""
            return """
                <tr><td>\(Layout.time(entry.createdAt))</td><td><code>\(entry.action)</code></td>
                <td>\(actor)</td>\(organization)<td>\(entry.targetType) <code>\(entry.targetId)</code></td>
                <td>\(details)</td><td>\(ip)</td><td>\(request)</td></tr>
                """
        }
        let headers = ["Time", "Action", "Actor"] + (forStaff ? ["Organization"] : []) + ["Target", "Details", "IP", "Request"]
        return Layout.table(caption: caption, headers: headers, rows: rows, empty: empty)
    }
}
