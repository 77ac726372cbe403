import Hummingbird

/// 400 `parameter_unknown` for any query parameter on a route that takes
/// none, whatever the method (routes that take some check their own).
struct QueryCheck: RouteLayer {
    func applies(to route: RouteSpec) -> Bool { route.query == .none }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        if request.uri.query != nil, let unknown = request.uri.queryParameters.first?.key {
            throw APIError.unknownParameter(unknown)
        }
        return try await next(request, context)
    }
}
