import HTTPTypes
import Hummingbird
import Logging
import PorticoCore
import PorticoStore

extension HTTPField.Name {
    static let requestID = Self("Request-Id")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}

/// Turns every error into an RFC 9457 problem and stamps `Request-Id` on
/// every response (and `Cache-Control: no-store` on API responses, which
/// are per-key and must never be served from a shared cache). Errors that are not `APIError` become a 500 that reveals
/// nothing but the request id; the cause goes to the server log.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let baseURL: BaseURL

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, request: request, context: context)
            response = ProblemDocument(apiError, baseURL: baseURL.value, requestID: context.requestID).response(headers: apiError.headers)
        }
        response.headers[.requestID] = context.requestID
        // A gateway upstream's own caching policy stands; Portico's answers are never cached.
        if APIPath.contains(request.uri.path), context.facts.gateway == nil || response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }

    static func apiError(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError where error.status == .notFound:
            return APIError(.routeNotFound, "Unrecognized request URL (\(request.method.rawValue) \(request.uri.path)).")
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return RequestBody.tooLarge(context)
        case _ where StorageFailure.isStorageFailure(error):
            // Debug only: on a full disk every write fails, and the request-log writer and /readyz already say so once.
            context.logger.debug(
                "storage unavailable",
                metadata: ["error": "\(error)", "path": "\(APIKeyFormat.redactingKeys(in: request.uri.path))"]
            )
            return .storageUnavailable
        default:
            context.logger.error(
                "unhandled error",
                metadata: ["error": "\(String(reflecting: error))", "path": "\(APIKeyFormat.redactingKeys(in: request.uri.path))"]
            )
            return APIError(.internalError, "An internal error occurred. Quote request id \(context.requestID) when reporting it.")
        }
    }
}
