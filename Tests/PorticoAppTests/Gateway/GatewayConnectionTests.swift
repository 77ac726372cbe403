import Foundation
import HTTPTypes
import Testing

@testable import PorticoApp

/// The gateway's upstream connections at their edges: a pooled connection
/// the upstream already closed, a HEAD (a response with a length and no
/// body) on a kept-alive connection, and TLS to an upstream nobody vouches for.
struct GatewayConnectionTests {
    /// One route to `upstream` for both modes.
    private static func run(_ upstream: RawUpstream, _ body: @escaping @Sendable (TestPortico, APIClient) async throws -> Void) async throws {
        let portico = try await TestPortico.make { config in
            var route = GatewayConfig.Route(path: "/v1/orders/*", methods: ["GET", "HEAD", "POST"], upstream: upstream.base, scopes: ["orders:read"])
            route.testUpstream = upstream.base
            config.gateway.scopes = ["orders:read": "Read orders"]
            config.gateway.routes = [route]
            // A loaded machine may take seconds between two requests: pooled connections must not age out meanwhile.
            config.gateway.upstreamKeepaliveSeconds = 600
        }
        try await portico.run { api in try await body(portico, api) }
    }

    private static func waitForIdleConnection(_ portico: TestPortico) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while portico.runtime.proxy.client.idleCount == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func aPooledConnectionTheUpstreamClosedIsRetriedOnceForAGetButNeverForAPost() async throws {
        try await RawUpstream.with(closeReused: true) { upstream in
            try await Self.run(upstream) { portico, api in
                let first = try await api.send(.get, "/v1/orders/1", key: portico.testKey)
                #expect(first.status == .ok)
                #expect(first.json["connection"] as? Int == 1)
                // The pooled connection is closed as this request arrives: it goes again on a new one.
                // (A connection goes back to the pool just after its response: wait for it each time.)
                try await Self.waitForIdleConnection(portico)
                let second = try await api.send(.get, "/v1/orders/2", key: portico.testKey)
                #expect(second.status == .ok)
                #expect(second.json["connection"] as? Int == 2)
                #expect(upstream.requests == ["GET /orders/1", "GET /orders/2", "GET /orders/2"])

                // A POST on a stale connection may have been acted on: the client hears so, once.
                try await Self.waitForIdleConnection(portico)
                let post = try await api.send(.post, "/v1/orders/3/cancel", key: portico.testKey)
                #expect(post.status == .badGateway)
                #expect(post.json["code"] as? String == "upstream_unavailable")
                #expect(upstream.requests.filter { $0 == "POST /orders/3/cancel" }.count == 1)
                #expect(upstream.connections == 2)
            }
        }
    }

    @Test func aHeadPassesItsLengthWithoutABodyAndLeavesTheConnectionReusable() async throws {
        try await RawUpstream.with { upstream in
            try await Self.run(upstream) { portico, api in
                let head = try await api.send(.head, "/v1/orders/1", key: portico.testKey)
                #expect(head.status == .ok)
                #expect(head.body.readableBytes == 0)
                #expect(head.headers[.contentLength] == "32")
                try await Self.waitForIdleConnection(portico)
                let get = try await api.send(.get, "/v1/orders/1", key: portico.testKey)
                #expect(get.status == .ok)
                #expect(get.json["method"] as? String == "GET")
                #expect(get.json["connection"] as? Int == 1)
                #expect(upstream.connections == 1)
            }
        }
    }

    @Test func anUpstreamWithAnUntrustedCertificateIsNeverSentTheRequest() async throws {
        try await RawUpstream.with(selfSigned: true) { upstream in
            try await Self.run(upstream) { portico, api in
                let response = try await api.send(.get, "/v1/orders/1", key: portico.testKey)
                #expect(response.status == .badGateway)
                #expect(response.json["code"] as? String == "upstream_unavailable")
                #expect(upstream.connections == 1)
                #expect(upstream.requests.isEmpty)
            }
        }
    }
}
