import HTTPTypes
import NIOCore
import PorticoCore

/// What the inner layers learned about a request that the outer ones need
/// once the response exists: who it was (for the request log and usage),
/// which limits applied (for the rate-limit headers), what a route meters,
/// and captured bodies.
///
/// A reference, because Hummingbird's request context is a value: a copy
/// changed by an inner middleware is not seen by an outer one. One per
/// request, touched only by the task serving it.
final class RequestFacts: @unchecked Sendable {
    /// The authenticated key, set by the gateway: the one place a request's principal lives.
    var principal: Principal?
    /// The client address, parsed once by the gateway.
    var clientIP: IPAddress?
    var limits: [LimitState] = []
    /// What the gateway counted against the key, organization and quotas (a route limit's refusal gives it back).
    var admission: AdmissionControl.Admission?
    /// Usage the route declares (`meter`, a gateway route's metric × cost), counted when it succeeds.
    var routeMeters: [Meter] = []
    /// Usage a gateway upstream reported (`Portico-Usage`), counted whatever the status.
    var reportedUsage: [Meter] = []
    /// The gateway route this request matched, set by the body limit before anything reads the body.
    var gateway: GatewayTable.Match?

    /// Whether a body with these headers may be held in memory whole: always on Portico's own
    /// routes, on a gateway route only when small and of known length (`GatewayRoute.mayBuffer`).
    func mayHold(_ headers: HTTPFields) -> Bool {
        // An event stream does not end: never held, whatever the route.
        guard headers[.contentType] != EventStreamResponse.contentType else { return false }
        return gateway == nil || GatewayRoute.mayBuffer(headers)
    }
    /// The API version the request runs under, set by `APIVersionMiddleware` (the gateway forwards it).
    var apiVersion: String?
    /// The response is a failure `Portico-Test-Outcome` asked for: the tenant's test, not the
    /// platform's health, so `/metrics` leaves it out (the request log keeps it).
    var forcedFailure = false
    /// Redacted request body, when the organization captures bodies.
    var requestBody: String?

    init() {}
}
