import Hummingbird

/// 403 `insufficient_scope` unless the authenticated key holds every scope the route needs.
struct ScopeCheck: RouteLayer {
    func applies(to route: RouteSpec) -> Bool { true }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        let held = try context.requirePrincipal().scopes
        if let missing = route.scopes.first(where: { !held.contains($0) }) {
            throw APIError(.insufficientScope, "This API key does not have the '\(missing)' scope this request needs.")
        }
        return try await next(request, context)
    }
}
