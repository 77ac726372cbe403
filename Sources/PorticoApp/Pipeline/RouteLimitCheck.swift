import Hummingbird

/// The route's own rate limit (`rate_limits.routes`), after the gateway's
/// key, organization and quota limits; a refusal gives those back.
struct RouteLimitCheck: RouteLayer {
    let admission: AdmissionControl

    func applies(to route: RouteSpec) -> Bool { route.limit != nil }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        guard let limit = route.limit else { return try await next(request, context) }
        let principal = try context.requirePrincipal()
        let facts = context.facts
        // Moved out of the shared box while admission awaits, so no access to it spans a suspension.
        var limits = facts.limits
        facts.limits = []
        let admitted = await admission.admit(
            principal,
            admission: facts.admission,
            route: "\(route.method) \(route.route)",
            limit: limit,
            into: &limits
        )
        facts.limits = limits
        if !admitted { throw admission.refusal(limits, principal: principal)! }
        return try await next(request, context)
    }
}
