import HTTPTypes

/// An error the API reports to its client as `application/problem+json`.
///
/// Handlers throw these; `ProblemMiddleware` renders them with the request id
/// and the instance's docs URL. Anything else thrown becomes a 500 that tells
/// the client nothing but the request id.
struct APIError: Error, Sendable {
    var code: ErrorCode
    var detail: String
    var param: String?
    /// Which rate limit or quota refused the request (429s only).
    var limit: String?
    /// Extra response headers (`Allow` on a 405).
    var headers: HTTPFields = [:]

    var status: HTTPResponse.Status { code.status }

    init(_ code: ErrorCode, _ detail: String, param: String? = nil, headers: HTTPFields = [:]) {
        self.code = code
        self.detail = detail
        self.param = param
        self.headers = headers
    }

    // MARK: Common errors

    /// The one answer for every key that does not authenticate, whatever the reason.
    static let invalidAPIKey = APIError(.invalidAPIKey, "The API key provided is invalid, revoked or expired.")

    /// A full disk, an I/O error or a database server that cannot be reached: transient, so a
    /// 503 with `Retry-After`, not a 500.
    static let storageUnavailable = APIError(
        .storageUnavailable,
        "The database cannot be used right now (a full disk, an I/O error, or a database server that does not answer). Retry later, with the same Idempotency-Key for a write: it is then done once.",
        headers: [.retryAfter: "5"]
    )

    /// 400 `parameter_unknown`: a query parameter the route does not take.
    static func unknownParameter(_ name: some StringProtocol) -> APIError {
        APIError(.parameterUnknown, "Received unknown query parameter: \(name).", param: String(name))
    }

    static func notFound(_ object: String, id: String) -> APIError {
        APIError(.resourceNotFound, "No such \(object): '\(id)'.", param: "id")
    }

    static func invalid(_ param: String, _ detail: String) -> APIError {
        APIError(.parameterInvalid, detail, param: param)
    }
}
