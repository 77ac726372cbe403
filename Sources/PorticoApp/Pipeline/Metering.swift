import Hummingbird

/// Counts the route's usage metric for the request log writer to meter once
/// the response is a success; an idempotent replay is not counted again.
struct Metering: RouteLayer {
    func applies(to route: RouteSpec) -> Bool { route.meter != nil }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        let response = try await next(request, context)
        if let meter = route.meter, response.headers[.idempotentReplayed] == nil { context.facts.routeMeters.append(meter) }
        return response
    }
}
