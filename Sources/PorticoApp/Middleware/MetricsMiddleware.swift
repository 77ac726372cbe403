import Hummingbird

/// Records every request's route, status and latency. Outermost, so it sees
/// the final status after errors were rendered.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let metrics: PorticoMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordRequest(
            route: context.endpointPath ?? "unmatched",
            method: request.method.rawValue,
            status: Int(response.status.code),
            duration: ContinuousClock.now - start)
        return response
    }
}
