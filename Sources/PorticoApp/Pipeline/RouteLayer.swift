import HTTPTypes
import Hummingbird
import PorticoCore

/// What a `/v1` route declares when it is registered; the route layers read it.
struct RouteSpec: Sendable {
    let method: HTTPRequest.Method
    /// The path as the router reports the matched endpoint (`/v1/customers/{id}`).
    let route: String
    /// Every scope a key must hold to call it (one for Portico's routes; a gateway route may list several).
    let scopes: [Scope]
    let query: APIRoutes.Query
    /// A usage metric counted per successful (2xx) call, on top of `requests`.
    let meter: Meter?
    /// The operator's override for this route (`rate_limits.routes`), if any.
    let limit: AdmissionControl.RoutePolicies?
    /// Only a platform key may call it (a tenant's secret key holds every scope, so the scope alone cannot say).
    var platformOnly = false
}

/// One step every matched `/v1` route runs between the router middleware and
/// its handler. The composition root (`Application+build.swift`) lists them
/// in order; each route's chain is composed once, at registration, from the
/// layers that apply to it, so a step a route does not need costs nothing.
protocol RouteLayer: Sendable {
    typealias Context = PorticoRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    /// Whether this layer has anything to do on `route` (a limit is configured, it is a POST…).
    func applies(to route: RouteSpec) -> Bool

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response
}

extension Array where Element == any RouteLayer {
    /// `handler` wrapped in every layer that applies to `route`, the first layer outermost.
    func chain(for route: RouteSpec, around handler: @escaping RouteLayer.Handler) -> RouteLayer.Handler {
        reversed().filter { $0.applies(to: route) }.reduce(handler) { next, layer in
            { request, context in try await layer.handle(request, context: context, route: route, next: next) }
        }
    }
}
