import Hummingbird
import PorticoCore

/// Puts the body limit on the context, so every reader of the body (JSON
/// decoding, idempotency fingerprinting, the gateway's stream) enforces the
/// same 413: the server's, or the matched gateway route's own. The gateway
/// route is found here, once, because its limit must be known before
/// anything reads the body.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let maxBodyBytes: Int
    let gateway: GatewayTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if APIPath.contains(request.uri.path), let match = gateway.match(request.uri.path, method: request.method) {
            context.facts.gateway = match
            context.maxBodyBytes = match.route.maxBodyBytes
        } else {
            context.maxBodyBytes = maxBodyBytes
        }
        return try await next(request, context)
    }
}
