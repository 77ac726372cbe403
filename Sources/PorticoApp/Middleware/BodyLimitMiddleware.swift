import Hummingbird

/// Puts the configured body limit on the context, so every reader of the
/// body (JSON decoding, idempotency fingerprinting) enforces the same 413.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxBodyBytes = maxBodyBytes
        return try await next(request, context)
    }
}
