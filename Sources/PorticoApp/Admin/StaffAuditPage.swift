import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/admin/audit`: what staff did and looked at, newest first, 50 a page,
/// optionally one staff member's.
struct StaffAuditPage: Sendable {
    typealias Context = PorticoRequestContext
    let admin: Admin

    func register(on router: RouterGroup<Context>) {
        router.get("audit") { request, _ in try await self.list(request) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await admin.viewer(request)
        let query = request.uri.queryParameters
        let staffId = query.get("staff").flatMap { $0.isEmpty ? nil : $0 }
        let page: Page<AuditEntryRecord>
        do {
            page = try await admin.store.staffAuditEntries(staffId: staffId, page: PageRequest(limit: 50, startingAfter: query.get("starting_after")))
        } catch StoreError.notFound {
            throw DashboardError.badRequest("That page of the audit log does not exist; start from the newest.")
        }
        let staff = try await admin.staff.list()
        let choices = [("", "Everyone")] + staff.map { ($0.id, $0.email) }
        let older = Layout.olderLink(
            "/admin/audit",
            query: staffId.map { [("staff", $0)] } ?? [],
            after: page.hasMore ? page.items.last?.id : nil,
            label: "Older entries"
        )
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: "Staff audit",
                current: "/admin/audit",
                body: """
                    <h1>Staff audit</h1>
                    <p>Every staff action, and every look at one organization's data. Organizations see these rows in their own audit log.</p>
                    <form method="get" action="/admin/audit" class="filters">\(Layout.select("staff", "Staff member", choices, selected: staffId))
                    <button type="submit">Show</button></form>
                    \(AuditPage.table(page.items, caption: "Newest first", forStaff: true))
                    \(older)
                    """
            )
        )
    }
}
