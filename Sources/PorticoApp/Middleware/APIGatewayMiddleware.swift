import Foundation
import HTTPTypes
import Hummingbird
import PorticoCore

/// The front door of every `/v1` request, matched route or not:
///
/// 1. the client IP's rate limit (before authentication, so floods of bad
///    keys are limited too);
/// 2. authentication from `Authorization: Bearer <key>` — every key that does
///    not authenticate gets the same 401, and a key in the query string is
///    refused outright (URLs are logged everywhere);
/// 3. the key's, organization's and plan's limits and quotas;
/// 4. body capture for organizations that turned it on;
/// 5. a test-mode request's `Portico-Test-Outcome` (`ForcedOutcome`);
/// 6. rate-limit headers on whatever response comes back.
///
/// It sits just inside the problem renderer: every error passing through it,
/// its own refusals and the routes' errors alike, leaves as an `APIError`
/// carrying the rate-limit headers, for `ProblemMiddleware` to render.
struct APIGatewayMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let authenticator: KeyAuthenticator
    let admission: AdmissionControl
    let redactor: BodyRedactor
    let metrics: PorticoMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The OpenAPI document is public: no key, no limits.
        guard APIPath.contains(request.uri.path), request.uri.path != OpenAPI.path else { return try await next(request, context) }
        let facts = context.facts
        do {
            var response = try await admit(request, context: context, next: next)
            RateLimitHeaders.apply(facts.limits, authenticated: facts.principal != nil, to: &response.headers)
            return response
        } catch {
            var apiError = ProblemMiddleware.apiError(for: error, request: request, context: context)
            if let limit = apiError.limit, !facts.forcedFailure { metrics.recordRateLimitHit(limit: limit) }
            RateLimitHeaders.apply(facts.limits, authenticated: facts.principal != nil, to: &apiError.headers)
            throw apiError
        }
    }

    private func admit(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let facts = context.facts
        let address = context.clientIP
        facts.clientIP = address
        var addressLimits: [LimitState] = []
        addressLimits.reserveCapacity(8)
        await admission.admit(address: address, into: &addressLimits)
        facts.limits = addressLimits
        if let refusal = admission.refusal(addressLimits, principal: nil) { throw refusal }

        let principal = try await authenticate(request, from: address)
        facts.principal = principal
        // The team's own backend: audited, not metered, not counted against the tenant's limits
        // (and it may still act for a suspended organization, to wind its business down).
        if principal.isPlatform { return try await next(request, context) }
        if principal.isSuspended {
            throw APIError(.organizationSuspended, "This key's organization is suspended. Contact the operator of this Portico.")
        }
        // Moved out of the shared box while admission awaits, so no access to it spans a suspension.
        var limits = facts.limits
        facts.limits = []
        let admitted = try await admission.admit(principal, into: &limits)
        facts.limits = limits
        guard let admitted else { throw admission.refusal(limits, principal: principal)! }
        facts.admission = admitted
        if !principal.livemode, let forced = request.headers[.porticoTestOutcome] {
            try await force(forced, admitted: admitted, principal: principal, facts: facts)
        }

        var request = request
        if principal.bodyCapture, request.method != .get, request.method != .head {
            // A gateway route's body streams on to the upstream: it is held only when small and of known length.
            facts.requestBody =
                facts.mayHold(request.headers)
                ? redactor.redact(try await RequestBody.collect(&request, context: context)) : GatewayRoute.notCaptured
        }
        return try await next(request, context)
    }

    /// Acts on a test-mode `Portico-Test-Outcome` header: throws the forced
    /// error (logged and rendered like a real one), or waits and lets the request on.
    private func force(_ header: String, admitted: AdmissionControl.Admission, principal: Principal, facts: RequestFacts) async throws {
        let outcome: ForcedOutcome
        do {
            outcome = try ForcedOutcome(header: header)
        } catch {
            throw APIError(.parameterInvalid, error.message, param: ForcedOutcome.headerName)
        }
        let failure: APIError
        switch outcome {
        case .slow(let milliseconds):
            try await Task.sleep(for: .milliseconds(milliseconds))
            return
        case .rateLimited:
            var limits = facts.limits
            facts.limits = []
            failure = admission.forcedRefusal(admitted, for: principal, states: &limits)
            facts.limits = limits
        case .serverError:
            failure = APIError(.internalError, "An internal error occurred. \(ForcedOutcome.note)")
        case .upstreamTimeout:
            failure = APIError(.upstreamTimeout, "The service behind this route did not answer in time. \(ForcedOutcome.note)")
        case .upstreamUnavailable:
            failure = APIError(.upstreamUnavailable, "The service behind this route could not be reached. \(ForcedOutcome.note)")
        }
        facts.forcedFailure = true
        throw failure
    }

    private func authenticate(_ request: Request, from address: IPAddress?) async throws -> Principal {
        if let query = request.uri.query, Self.queryCarriesKey(query) {
            throw APIError(
                .apiKeyInQuery,
                "API keys must not be sent in the URL. Send it as 'Authorization: Bearer <key>' and roll the exposed key."
            )
        }
        guard let header = request.headers[.authorization] else {
            throw APIError(.authenticationRequired, "No API key provided. Send it as 'Authorization: Bearer <key>'.")
        }
        guard let token = APIKeyFormat.bearerToken(header) else { throw APIError.invalidAPIKey }
        let named = request.headers[.porticoOrganization]
        switch try await authenticator.authenticate(token, from: address) {
        case .invalid:
            throw APIError.invalidAPIKey
        case .addressNotAllowed:
            throw APIError(.ipNotAllowed, "This API key may not be used from \(address?.description ?? "this address").")
        case .authenticated(let principal):
            guard named == nil else {
                throw APIError(
                    .parameterInvalid,
                    "Portico-Organization is only for platform keys (tk_…); this key acts for its own organization.",
                    param: "Portico-Organization"
                )
            }
            return principal
        case .platform(let key):
            guard let named, !named.isEmpty else {
                throw APIError(
                    .parameterMissing,
                    "A platform key acts for the organization named in the Portico-Organization header; send one.",
                    param: "Portico-Organization"
                )
            }
            guard let principal = try await authenticator.principal(platform: key, organizationID: named) else {
                throw APIError(.resourceNotFound, "No such organization: '\(named)'.", param: "Portico-Organization")
            }
            return principal
        }
    }

    /// Query parameters that name a credential, whatever their value (compared lowercased).
    private static let keyParameterNames: Set<String> = ["api_key", "apikey", "key", "access_token", "token"]

    /// Whether any query parameter name or value looks like an API key.
    ///
    /// Runs on every API request with a query (every list page): a value is
    /// percent-decoded (Foundation, costly) only when it holds a `%`.
    static func queryCarriesKey(_ query: String) -> Bool {
        query.split(separator: "&").contains { pair in
            let equals = pair.firstIndex(of: "=") ?? pair.endIndex
            if keyParameterNames.contains(pair[..<equals].lowercased()) { return true }
            guard equals < pair.endIndex else { return false }
            let value = pair[pair.index(after: equals)...]
            guard value.utf8.contains(UInt8(ascii: "%")) else { return APIKeyFormat.looksLikeKey(value) }
            return APIKeyFormat.looksLikeKey(value.removingPercentEncoding ?? String(value))
        }
    }
}
