import Hummingbird

/// Hands a request that matched a gateway route (found by the body limit)
/// to that route's handler: the route layers around the upstream proxy.
/// Sits inside authentication and the API version, so a gateway route gets
/// every platform feature Portico's own routes get; other requests pass on
/// to the router.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let match = context.facts.gateway else { return try await next(request, context) }
        guard let handler = match.handler else {
            let allow = match.route.methods.map(\.rawValue).joined(separator: ", ")
            throw APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed on this path; use \(allow).", headers: [.allow: allow])
        }
        return try await handler(request, context)
    }
}
