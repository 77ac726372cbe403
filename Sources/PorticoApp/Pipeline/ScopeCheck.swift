import Hummingbird

/// 403 `insufficient_scope` unless the authenticated key holds the route's scope.
struct ScopeCheck: RouteLayer {
    func applies(to route: RouteSpec) -> Bool { true }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        guard try context.requirePrincipal().scopes.contains(route.scope) else {
            throw APIError(.insufficientScope, "This API key does not have the '\(route.scope)' scope this request needs.")
        }
        return try await next(request, context)
    }
}
