import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// The console's search box (any id, or an email) and the request timeline it leads to.
struct FindPages: Sendable {
    typealias Context = PorticoRequestContext
    let admin: Admin

    func register(on router: RouterGroup<Context>) {
        router.get("find") { request, _ in try await self.find(request) }
        router.get("requests/:id") { request, context in try await self.timeline(request, context: context) }
    }

    /// Opens what the query names: a request's timeline, an organization's page (for the
    /// id of anything it owns, or a member's email); anything else searches organizations.
    private func find(_ request: Request) async throws -> Response {
        let viewer = try await admin.viewer(request)
        // A GET form: its query is form-encoded (a space arrives as `+`).
        let query = (FormData(request.uri.query ?? "")["q"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { return WebPage.redirect(to: Admin.home) }
        if let path = try await admin.runtime.organizations.locate(query) { return WebPage.redirect(to: path) }
        let looksLikeID = query.range(of: #"^[a-z]+_[A-Za-z0-9]+$"#, options: .regularExpression) != nil
        guard looksLikeID else {
            return WebPage.redirect(to: "/admin?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
        }
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: "Not found",
                current: "",
                body:
                    "<h1>Nothing has that id</h1><p>No organization, key, customer, event, delivery, endpoint, invoice, user or audit row is <code>\(query)</code>.</p>"
            ),
            status: .notFound
        )
    }

    private func timeline(_ request: Request, context: Context) async throws -> Response {
        let viewer = try await admin.viewer(request)
        let id = try context.parameters.require("id")
        let service = admin.runtime.organizations
        let timeline = try await service.timeline(id)
        guard !timeline.isEmpty else { throw DashboardError.notFound }
        if let organization = timeline.organizationId {
            try await service.recordView(of: organization, what: "request", target: ("request", id), by: viewer.actor(request: context))
        }
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: "Request \(id)",
                current: "",
                body: """
                    <h1>Request timeline</h1>
                    \(RequestTimelineView.render(timeline, requestId: id, forStaff: true))
                    """
            )
        )
    }
}
