import Foundation
import Hummingbird
import Logging
import NIOCore
import PorticoCore
import PorticoStore

/// Per-request state: the request id, the peer address and, once the
/// authentication middleware has run, the authenticated key.
public struct PorticoRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `req_…`, sent back as `Request-Id` and carried into logs and errors.
    /// Time-sortable, so the request-log index on it is appended in order.
    public let requestID: String
    public let remoteAddress: SocketAddress?
    /// Filled in by inner layers for the outer ones (request log, rate-limit headers).
    let facts = RequestFacts()
    /// The request's `Idempotency-Key`, set by `IdempotencyLayer` on POSTs that carry one.
    var idempotency: IdempotencySlot?
    /// The route's declared limit, from config (`server.max_body_bytes`).
    var maxBodyBytes: Int = 1_048_576

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = Identifier.makeRequestID(at: Date().milliseconds)
        self.remoteAddress = source.channel.remoteAddress
        self.logger[metadataKey: "request_id"] = .string(requestID)
    }

    public var maxUploadSize: Int { maxBodyBytes }

    /// The client's address as Portico sees it (the socket peer; no proxy headers are trusted).
    var clientIP: IPAddress? {
        remoteAddress.flatMap { IPAddress($0) }
    }

    /// The matched route's template (`/v1/customers/{id}`, a gateway route's as configured), or nil
    /// when no route matched (Hummingbird then names the endpoint "NotFound", which is no path).
    var routeTemplate: String? {
        if let gateway = facts.gateway { return gateway.route.template.text }
        return endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil }
    }

    /// The authenticated key (`facts.principal`, set by `APIGatewayMiddleware`); only call on `/v1` routes.
    func requirePrincipal() throws -> Principal {
        guard let principal = facts.principal else { throw APIError(.authenticationRequired, "This route needs an API key.") }
        return principal
    }
}
