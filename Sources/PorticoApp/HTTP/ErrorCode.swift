import HTTPTypes

/// Every error code the API can answer with. Each has a docs page at
/// `/docs/errors/<code>`, which is what a problem's `type` links to.
public enum ErrorCode: String, Sendable, CaseIterable {
    case authenticationRequired = "authentication_required"
    case invalidAPIKey = "invalid_api_key"
    case apiKeyInQuery = "api_key_in_query"
    case insufficientScope = "insufficient_scope"
    case ipNotAllowed = "ip_not_allowed"
    case organizationSuspended = "organization_suspended"
    case resourceNotFound = "resource_not_found"
    case routeNotFound = "route_not_found"
    case methodNotAllowed = "method_not_allowed"
    case invalidJSON = "invalid_json"
    case parameterMissing = "parameter_missing"
    case parameterInvalid = "parameter_invalid"
    case parameterUnknown = "parameter_unknown"
    case requestTooLarge = "request_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case idempotencyKeyInvalid = "idempotency_key_invalid"
    case idempotencyKeyReused = "idempotency_key_reused"
    case idempotencyRequestInProgress = "idempotency_request_in_progress"
    case rateLimited = "rate_limited"
    case quotaExceeded = "quota_exceeded"
    case invalidCursor = "invalid_cursor"
    case resourceLimitReached = "resource_limit_reached"
    case endpointDisabled = "endpoint_disabled"
    case sandboxOnly = "sandbox_only"
    case internalError = "internal_error"
    case serviceUnavailable = "service_unavailable"
    case clientClosedRequest = "client_closed_request"
    case storageUnavailable = "storage_unavailable"
    case uriTooLong = "uri_too_long"
    case requestHeaderFieldsTooLarge = "request_header_fields_too_large"
    case testModeUnavailable = "test_mode_unavailable"
    case upstreamUnavailable = "upstream_unavailable"
    case upstreamTimeout = "upstream_timeout"
    case platformKeyRequired = "platform_key_required"

    var status: HTTPResponse.Status {
        switch self {
        case .authenticationRequired, .invalidAPIKey, .apiKeyInQuery: .unauthorized
        case .insufficientScope, .ipNotAllowed, .organizationSuspended: .forbidden
        case .resourceNotFound, .routeNotFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .invalidJSON, .parameterMissing, .parameterInvalid, .parameterUnknown, .idempotencyKeyInvalid: .badRequest
        case .requestTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .idempotencyKeyReused: .unprocessableContent
        case .idempotencyRequestInProgress: .conflict
        case .rateLimited, .quotaExceeded: .tooManyRequests
        case .invalidCursor, .resourceLimitReached, .endpointDisabled: .badRequest
        case .sandboxOnly: .forbidden
        case .internalError: .internalServerError
        case .serviceUnavailable, .storageUnavailable: .serviceUnavailable
        // nginx's code: recorded in logs and metrics, never seen by the client (it left).
        case .clientClosedRequest: .init(code: 499, reasonPhrase: "Client Closed Request")
        // Answered by the connection layer before routing (`ConnectionGuard`, `HTTPPhaseHandler`).
        case .uriTooLong: .uriTooLong
        case .requestHeaderFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .testModeUnavailable: .badRequest
        case .upstreamUnavailable: .badGateway
        case .upstreamTimeout: .gatewayTimeout
        case .platformKeyRequired: .forbidden
        }
    }

    /// The RFC 6750 challenge a refusal carries: every 401 names the scheme
    /// and realm, with `error` where the key itself is at fault; a missing
    /// scope says `insufficient_scope` on its 403.
    var wwwAuthenticate: String? {
        switch self {
        case .authenticationRequired: #"Bearer realm="portico""#
        case .invalidAPIKey, .apiKeyInQuery: #"Bearer realm="portico", error="invalid_token""#
        case .insufficientScope: #"Bearer realm="portico", error="insufficient_scope""#
        default: nil
        }
    }

    var title: String {
        switch self {
        case .authenticationRequired: "Authentication required"
        case .invalidAPIKey: "Invalid API key"
        case .apiKeyInQuery: "API key in query string"
        case .insufficientScope: "Insufficient scope"
        case .ipNotAllowed: "IP address not allowed"
        case .organizationSuspended: "Organization suspended"
        case .resourceNotFound: "Resource not found"
        case .routeNotFound: "Route not found"
        case .methodNotAllowed: "Method not allowed"
        case .invalidJSON: "Malformed JSON"
        case .parameterMissing: "Missing parameter"
        case .parameterInvalid: "Invalid parameter"
        case .parameterUnknown: "Unknown parameter"
        case .requestTooLarge: "Request body too large"
        case .unsupportedMediaType: "Unsupported media type"
        case .idempotencyKeyInvalid: "Invalid idempotency key"
        case .idempotencyKeyReused: "Idempotency key reused"
        case .idempotencyRequestInProgress: "Idempotent request in progress"
        case .rateLimited: "Rate limit exceeded"
        case .quotaExceeded: "Quota exceeded"
        case .invalidCursor: "Invalid cursor"
        case .resourceLimitReached: "Resource limit reached"
        case .endpointDisabled: "Webhook endpoint disabled"
        case .sandboxOnly: "Sandbox only"
        case .internalError: "Internal server error"
        case .serviceUnavailable: "Service unavailable"
        case .clientClosedRequest: "Client closed request"
        case .storageUnavailable: "Storage unavailable"
        case .uriTooLong: "URI too long"
        case .requestHeaderFieldsTooLarge: "Request header fields too large"
        case .testModeUnavailable: "Not available in test mode"
        case .upstreamUnavailable: "Upstream unavailable"
        case .upstreamTimeout: "Upstream timeout"
        case .platformKeyRequired: "Platform key required"
        }
    }

    /// What the code means and what to do about it, for its docs page.
    var explanation: String {
        switch self {
        case .authenticationRequired: "The request carried no API key. Send one as `Authorization: Bearer sk_test_…`."
        case .invalidAPIKey:
            "The API key is unknown, revoked, expired or mistyped. Portico answers all of these identically so a key cannot be probed. Check the key in the dashboard or create a new one."
        case .apiKeyInQuery:
            "An API key was sent in the URL. URLs end up in logs and browser history; send the key in the `Authorization: Bearer` header instead, and consider rolling the exposed key."
        case .insufficientScope:
            "The key is valid but lacks the scope named in `detail`. Use a key with that scope or create a restricted key that has it."
        case .ipNotAllowed: "The key has an IP allowlist and the request came from an address outside it."
        case .organizationSuspended:
            "The operator of this Portico suspended the key's organization. Nothing was deleted; contact them to have it reactivated."
        case .resourceNotFound: "No object with this id exists for this organization in this mode (test or live)."
        case .routeNotFound: "No API route has this path. Check the API reference for the paths Portico serves."
        case .methodNotAllowed: "The path exists but not with this HTTP method. The `Allow` header lists the methods it accepts."
        case .invalidJSON: "The request body is not well-formed JSON, or not a JSON object."
        case .parameterMissing: "A required field is missing; `param` names it."
        case .parameterInvalid: "A field has the wrong type or value; `param` names it and `detail` says what is expected."
        case .parameterUnknown:
            "The body has a field this endpoint does not accept (or one a client may never set, such as `id` or `livemode`); `param` names it."
        case .requestTooLarge: "The request body exceeds the instance's size limit (`server.max_body_bytes`)."
        case .unsupportedMediaType: "Request bodies must be JSON: send `Content-Type: application/json`."
        case .idempotencyKeyInvalid: "The `Idempotency-Key` header is empty, longer than 255 characters, or not a valid token or quoted string."
        case .idempotencyKeyReused:
            "This idempotency key was already used with a different request (method, path or body). Use a new key for a new request."
        case .idempotencyRequestInProgress:
            "The first request with this idempotency key is still running. Retry after it finishes to receive its stored response."
        case .rateLimited:
            "Too many requests in a short time. The problem's `limit` member names the limit that was hit (per key, per organization, per IP or per route; a token bucket for bursts and a sliding 60-second window); `Retry-After` says how many seconds to wait. Every `/v1` response's `RateLimit` and `X-RateLimit-*` headers show how much room is left. Limits come from the organization's plan: move to a higher plan, or ask the operator for a route override, to raise them."
        case .quotaExceeded:
            "The organization has used its daily or monthly request quota for this mode (`limit` says which). Requests are refused until the period resets (`Retry-After`, in seconds). Upgrade the plan for a larger quota or a plan that bills overage instead of refusing."
        case .resourceLimitReached:
            "The organization has as many objects of this kind as the instance allows (for webhook endpoints, `webhooks.max_endpoints` per mode). Delete one, or ask the operator to raise the limit."
        case .endpointDisabled:
            "The webhook endpoint is disabled — by a user, by a 410 Gone from the receiver, or after failing continuously for `webhooks.auto_disable_after_hours` — so nothing is sent to it. Fix the receiver, then `PATCH` it with `status: enabled`; replay what it missed with `POST /v1/webhook-endpoints/{id}/replay`."
        case .sandboxOnly:
            "This route exists only on a `portico sandbox` instance and only for test-mode keys (the sandbox clock, for example)."
        case .invalidCursor: "`starting_after` or `ending_before` names an object that does not exist in this list (for this organization and mode)."
        case .internalError: "Something went wrong inside Portico. The `request_id` lets an operator find the cause in the server log."
        case .serviceUnavailable: "The instance is not ready (database unreachable or schema not current)."
        case .clientClosedRequest:
            "The client closed the connection before its request was complete (for example mid-body). Recorded as 499 in request logs and metrics; no client ever receives it."
        case .storageUnavailable:
            "The database could not be written (the disk is full, an I/O error, or the file is locked by another process). Nothing was changed; retry after `Retry-After` seconds with the same `Idempotency-Key`. `/readyz` answers 503 until writes succeed again."
        case .uriTooLong: "The request line (method, path and query) exceeds 8,192 bytes. Send long filters in a POST body instead."
        case .requestHeaderFieldsTooLarge: "The request's header fields together exceed 32,768 bytes. Drop oversized cookies or custom headers."
        case .testModeUnavailable:
            "This route is served by the team's own API through Portico's gateway, and the operator gave it no test upstream (`test_upstream`), so test keys cannot call it: test traffic never reaches the live system. Call it with a live key, or ask the operator to configure a test upstream."
        case .upstreamUnavailable:
            "Portico could not reach the service behind this route (connection refused, reset or closed before a response). Nothing was answered by the service; retry later, with the same `Idempotency-Key` for a POST."
        case .upstreamTimeout:
            "The service behind this route did not start its response within the route's timeout (`timeout_seconds`). It may still have acted on the request: retry a POST with the same `Idempotency-Key`, which Portico forwards so the service can recognise the retry."
        case .platformKeyRequired:
            "This route is for the team that runs Portico: only a platform key (`tk_test_…`, `tk_live_…`, made with `portico platform-key create`) may call it, naming the organization in `Portico-Organization`. Tenant keys, secret ones included, cannot."
        }
    }
}
