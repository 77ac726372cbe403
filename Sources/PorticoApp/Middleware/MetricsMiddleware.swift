import Hummingbird

/// Records every request's route, status and latency, and logs it at debug
/// level (with the request id the context's logger carries). Outermost, so
/// it sees the final status after errors were rendered.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let metrics: PorticoMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let duration = ContinuousClock.now - start
        // Every request no route matched shares one label, so probes cannot grow the series.
        let route = context.routeTemplate ?? "unmatched"
        if !context.facts.forcedFailure {
            metrics.recordRequest(route: route, method: request.method.rawValue, status: Int(response.status.code), duration: duration)
        }
        context.logger.debug(
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "route": .string(route),
                "status": .stringConvertible(response.status.code), "duration_us": .stringConvertible(duration.nanoseconds / 1_000),
            ]
        )
        return response
    }
}
