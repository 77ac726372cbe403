import Hummingbird

/// 403 `insufficient_scope` unless the authenticated key holds every scope
/// the route needs; 403 `platform_key_required` on a platform-only route.
struct ScopeCheck: RouteLayer {
    func applies(to route: RouteSpec) -> Bool { true }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        let principal = try context.requirePrincipal()
        if route.platformOnly, !principal.isPlatform {
            throw APIError(.platformKeyRequired, "Only a platform key (tk_…), made with `portico platform-key create`, may call this route.")
        }
        let held = principal.scopes
        if let missing = route.scopes.first(where: { !held.contains($0) }) {
            throw APIError(.insufficientScope, "This API key does not have the '\(missing)' scope this request needs.")
        }
        return try await next(request, context)
    }
}
