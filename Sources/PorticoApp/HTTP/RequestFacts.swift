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
    /// Extra usage metrics the route declared, counted when it succeeds.
    var meters: [String] = []
    /// Redacted request body, when the organization captures bodies.
    var requestBody: String?

    init() {}
}
