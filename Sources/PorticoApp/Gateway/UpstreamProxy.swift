import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PorticoCore
import ServiceLifecycle
import Synchronization

/// The innermost handler of every gateway route: sends the request on to the
/// route's upstream for the key's mode and streams the answer back.
///
/// - The client's `Authorization` (and cookies, Portico's dashboard session
///   among them) never leave Portico; `Portico-Identity` (a signed token)
///   and plain `Portico-Organization`, `Portico-Mode`, `Portico-Key-Id`
///   say who called, and a client cannot forge them (they are replaced).
/// - Bodies stream both ways; the route's body limit is counted as the
///   request body passes.
/// - No answer from the upstream is 502 `upstream_unavailable`; no response
///   head within the route's timeout is 504 `upstream_timeout`. Whatever the
///   upstream answers, its own errors included, passes through unchanged
///   but for hop-by-hop headers and `Portico-Usage`, which is metered.
/// - A client that goes away mid-response ends the upstream request: the
///   response body stops being read and the client drops the connection.
final class UpstreamProxy: Service, Sendable {
    let client: UpstreamClient
    private let identity: IdentityTokens
    private let gateway: GatewayTable
    private let metrics: PorticoMetrics
    private let logger: Logger

    init(identity: IdentityTokens, gateway: GatewayTable, metrics: PorticoMetrics, logger: Logger, settings: GatewayConfig) throws {
        client = try UpstreamClient(
            maxConnectionsPerOrigin: settings.maxConnectionsPerUpstream,
            maxIdleAge: .seconds(Int64(settings.upstreamKeepaliveSeconds))
        )
        self.identity = identity
        self.gateway = gateway
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs until shutdown, then closes the idle upstream connections (after the server drained its requests).
    func run() async throws {
        try? await gracefulShutdown()
        client.closeIdle()
    }

    func forward(_ request: Request, context: PorticoRequestContext, route: GatewayRoute) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let upstream = route.upstream(livemode: principal.livemode) else {
            throw APIError(
                .testModeUnavailable,
                "\(route.template) has no test upstream, so test keys cannot call it; use a live key or configure \(route.field).test_upstream."
            )
        }
        guard !PathTemplate.escapesRoute(request.uri.path) else {
            throw APIError(.parameterInvalid, "The path must not contain '.' or '..' segments, encoded slashes or backslashes.", param: "path")
        }
        let body = try Self.body(of: request, limit: route.maxBodyBytes, context: context)
        var head = HTTPRequestHead(
            version: .http1_1,
            method: HTTPMethod(rawValue: request.method.rawValue),
            uri: route.target(upstream, path: request.uri.path, query: request.uri.query)
        )
        head.headers = try await headers(for: request, context: context, principal: principal, upstream: upstream)

        let response: UpstreamResponse
        do {
            response = try await client.execute(upstream.origin, head: head, body: body, deadline: .now() + route.timeout)
        } catch {
            if body?.exceeded == true { throw RequestBody.tooLarge(context) }
            throw upstreamFailure(error, route: route)
        }
        return answer(response, context: context)
    }

    // MARK: Request

    private func headers(for request: Request, context: PorticoRequestContext, principal: Principal, upstream: Upstream) async throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 12)
        headers.add(name: "Host", value: upstream.origin.authority)
        let dropped = ProxyHeaders.hopByHop(request.headers)
        for field in request.headers where !dropped.contains(field.name) && !ProxyHeaders.neverForwarded.contains(field.name) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        let version = context.facts.apiVersion ?? principal.apiVersion
        let token: String
        do {
            token = try await identity.token(for: principal, requestID: context.requestID, apiVersion: version, audience: upstream.base)
        } catch {
            logger.error("cannot sign a Portico-Identity token", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "The gateway cannot vouch for this request right now; retry shortly.")
        }
        headers.add(name: "Portico-Identity", value: token)
        headers.add(name: "Portico-Organization", value: principal.organizationID)
        headers.add(name: "Portico-Mode", value: principal.livemode ? "live" : "test")
        headers.add(name: "Portico-Key-Id", value: principal.keyID)
        headers.add(name: "Portico-Version", value: version)
        headers.add(name: "Request-Id", value: context.requestID)
        let client = context.facts.clientIP?.description ?? "unknown"
        let host = request.head.authority ?? ""
        headers.add(name: "Forwarded", value: ProxyHeaders.forwarded(for: client, host: host, proto: "http"))
        headers.add(name: "X-Forwarded-For", value: client)
        headers.add(name: "X-Forwarded-Proto", value: "http")
        if !host.isEmpty { headers.add(name: "X-Forwarded-Host", value: host) }
        return headers
    }

    /// The request body to stream, counted against the route's limit; nil when the request has none.
    private static func body(of request: Request, limit: Int, context: PorticoRequestContext) throws -> LimitedBody? {
        let length = request.headers[.contentLength].flatMap(Int.init)
        if let length, length > limit { throw RequestBody.tooLarge(context) }
        if length == nil || length == 0, request.headers[.transferEncoding] == nil { return nil }
        return LimitedBody(base: request.body, limit: limit)
    }

    // MARK: Response

    private func answer(_ upstream: UpstreamResponse, context: PorticoRequestContext) -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(upstream.head.headers.count)
        let dropped = ProxyHeaders.hopByHop(upstream.head.headers)
        for (name, value) in upstream.head.headers {
            guard let field = HTTPField.Name(name), !dropped.contains(field) else { continue }
            if field == .porticoUsage {
                context.facts.reportedUsage += meters(reportedIn: value)
                continue
            }
            headers.append(HTTPField(name: field, value: value))
        }
        let status = HTTPResponse.Status(code: Int(upstream.head.status.code), reasonPhrase: upstream.head.status.reasonPhrase)
        return Response(status: status, headers: headers, body: ResponseBody(asyncSequence: upstream.body))
    }

    /// The declared metrics in a `Portico-Usage` header; anything else is ignored and counted.
    private func meters(reportedIn header: String) -> [Meter] {
        let report = UsageHeader(header, declared: gateway.definition.metrics)
        if report.ignored > 0 { metrics.usageIgnored.increment(by: report.ignored) }
        return report.meters
    }

    private func upstreamFailure(_ error: any Error, route: GatewayRoute) -> any Error {
        if error is CancellationError { return error }
        let timedOut = (error as? UpstreamClient.Failure) == .timeout
        metrics.upstreamFailures.increment(timedOut ? "timeout" : "unavailable")
        logger.warning(
            "gateway upstream failed",
            metadata: ["route": "\(route.template)", "error": "\(error)", "outcome": "\(timedOut ? "timeout" : "unavailable")"]
        )
        if timedOut {
            return APIError(.upstreamTimeout, "The service behind \(route.template) did not answer in time.")
        }
        return APIError(.upstreamUnavailable, "The service behind \(route.template) could not be reached.")
    }
}

/// A request body on its way upstream, refused past the route's limit as it
/// streams (a chunked body has no length to check first).
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: Hummingbird.RequestBody
    let limit: Int
    private let state = Exceeded()

    init(base: Hummingbird.RequestBody, limit: Int) {
        self.base = base
        self.limit = limit
    }

    /// Whether the body went past the limit (the upstream request then failed).
    var exceeded: Bool { state.flag.load(ordering: .relaxed) }

    final class Exceeded: Sendable {
        let flag = Atomic<Bool>(false)
    }

    struct TooLarge: Error {}

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Hummingbird.RequestBody.AsyncIterator
        let limit: Int
        let state: Exceeded
        var seen = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            seen += chunk.readableBytes
            if seen > limit {
                state.flag.store(true, ordering: .relaxed)
                throw TooLarge()
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit, state: state)
    }
}
