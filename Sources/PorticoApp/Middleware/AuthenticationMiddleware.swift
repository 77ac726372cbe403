import HTTPTypes
import Hummingbird

/// Authenticates `/v1` requests from `Authorization: Bearer <key>`.
///
/// Every key that does not authenticate gets the same 401 so nothing can be
/// learned by probing. A key in the query string is refused outright: URLs are
/// logged everywhere, so the request must not succeed even if the header is valid too.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let authenticator: KeyAuthenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query, Self.queryCarriesKey(query) {
            throw APIError(
                .apiKeyInQuery,
                "API keys must not be sent in the URL. Send it as 'Authorization: Bearer <key>' and roll the exposed key.")
        }
        guard let header = request.headers[.authorization] else {
            throw APIError(.authenticationRequired, "No API key provided. Send it as 'Authorization: Bearer <key>'.")
        }
        guard let token = Self.bearerToken(header) else { throw APIError.invalidAPIKey }
        switch try await authenticator.authenticate(token, from: context.clientIP) {
        case .invalid:
            throw APIError.invalidAPIKey
        case .addressNotAllowed:
            throw APIError(.ipNotAllowed, "This API key may not be used from \(context.clientIP?.description ?? "this address").")
        case .authenticated(let principal):
            var context = context
            context.principal = principal
            return try await next(request, context)
        }
    }

    /// The credential of a `Bearer` header (scheme case-insensitive, spaces trimmed), without Foundation on the hot path.
    static func bearerToken(_ header: String) -> Substring? {
        let utf8 = header.utf8
        guard utf8.count > 7, utf8.prefix(6).elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }),
            utf8.dropFirst(6).first == UInt8(ascii: " ")
        else { return nil }
        let token = header.dropFirst(7).drop { $0 == " " }
        let trimmed = token.reversed().drop { $0 == " " }.count
        return token.prefix(trimmed)
    }

    /// Whether any query parameter name or value looks like an API key.
    static func queryCarriesKey(_ query: String) -> Bool {
        query.split(separator: "&").contains { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = parts.first?.lowercased() ?? ""
            let value = parts.count > 1 ? (parts[1].removingPercentEncoding ?? String(parts[1])) : ""
            return ["api_key", "apikey", "key", "access_token", "token"].contains(name) || APIKeyFormat.looksLikeKey(value)
        }
    }
}
