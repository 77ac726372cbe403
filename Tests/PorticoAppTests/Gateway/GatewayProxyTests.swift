import Foundation
import HTTPTypes
import NIOCore
import PorticoCore
import Testing

@testable import PorticoApp

/// The gateway with real upstreams on loopback: which upstream a request
/// reaches, what it is sent, what comes back, and every way it can fail.
struct GatewayProxyTests {
    @Test func testKeysReachOnlyTheTestUpstreamAndPathAndQueryMapAsConfigured() async throws {
        try await GatewayFixture.run { portico, api, live, test in
            let testCall = try await api.send(.get, "/v1/orders/7/items?expand=lines&note=a%20b", key: portico.testKey)
            #expect(testCall.status == .ok)
            #expect(testCall.json["upstream"] as? String == "test")
            let liveCall = try await api.send(.get, "/v1/orders/7", key: portico.liveKey)
            #expect(liveCall.json["upstream"] as? String == "live")
            // strip_prefix "" keeps /v1 on the way to the upstream's /api base.
            let document = try await api.send(.get, "/v1/documents/d1", key: portico.testKey)
            #expect(document.status == .ok)

            #expect(test.seen.map(\.target) == ["/test/orders/7/items?expand=lines&note=a%20b", "/api/v1/documents/d1"])
            #expect(live.seen.map(\.target) == ["/live/orders/7"])
        }
    }

    @Test func aRouteWithoutATestUpstreamRefusesTestKeysBeforeAnyUpstreamIsCalled() async throws {
        try await GatewayFixture.run { portico, api, live, test in
            let refused = try await api.send(.get, "/v1/reports/r1", key: portico.testKey)
            #expect(refused.status == .badRequest)
            #expect(refused.json["code"] as? String == "test_mode_unavailable")
            #expect((refused.json["detail"] as? String)?.contains("gateway.routes[2].test_upstream") == true)
            #expect(live.seen.isEmpty && test.seen.isEmpty)

            let allowed = try await api.send(.get, "/v1/reports/r1", key: portico.liveKey)
            #expect(allowed.status == .ok)
            #expect(live.seen.map(\.target) == ["/reports/r1"])
        }
    }

    @Test func theClientsCredentialsStayAndPorticosIdentityHeadersCannotBeForged() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let response = try await api.send(
                .get,
                "/v1/orders/1",
                key: portico.testKey,
                headers: [
                    .cookie: "__Host-portico_session=stolen", HTTPField.Name("Portico-Identity")!: "forged", HTTPField.Name("Portico-Mode")!: "live",
                    HTTPField.Name("Portico-Key-Id")!: "key_evil", HTTPField.Name("X-Forwarded-For")!: "6.6.6.6",
                    HTTPField.Name("Forwarded")!: "for=6.6.6.6", HTTPField.Name("X-Custom")!: "kept",
                ]
            )
            #expect(response.status == .ok)
            let seen = try #require(test.seen.first)
            #expect(seen.header("Authorization") == nil)
            #expect(seen.header("Cookie") == nil)
            #expect(seen.header("X-Custom") == "kept")
            #expect(seen.header("Portico-Organization") == portico.organizationID)
            #expect(seen.header("Portico-Mode") == "test")
            #expect(seen.header("Portico-Key-Id")?.hasPrefix("key_") == true)
            #expect(seen.header("Portico-Key-Id") != "key_evil")
            #expect(seen.header("Portico-Identity")?.split(separator: ".").count == 3)
            #expect(seen.header("X-Forwarded-For") == "127.0.0.1")
            #expect(seen.header("Forwarded")?.hasPrefix("for=127.0.0.1;proto=http") == true)
            #expect(seen.header("Request-Id") == response.requestID)
            #expect(seen.header("Portico-Version") == response.headers[HTTPField.Name("Portico-Version")!])
            #expect(seen.header("Portico-Version") != nil)

            // The upstream's hop-by-hop headers stop at Portico; its own pass.
            #expect(response.headers[HTTPField.Name("X-Hop")!] == nil)
            #expect(response.headers[HTTPField.Name("Keep-Alive")!] == nil)
            #expect(response.headers[HTTPField.Name("X-Upstream")!] == "test")

            // Naming another organization is for platform keys only: a tenant key's request is refused outright.
            let borrowed = try await api.send(.get, "/v1/orders/1", key: portico.testKey, headers: [.porticoOrganization: "org_evil"])
            #expect(borrowed.status == .badRequest)
            #expect(test.seen.count == 1)
        }
    }

    @Test func theUpstreamsOwnErrorsPassThroughUnchanged() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            for status in [404, 409, 500, 503] {
                let response = try await api.send(.get, "/v1/orders/1?status=\(status)", key: portico.testKey)
                #expect(response.status.code == status)
                #expect(response.text == #"{"upstream_error":"the upstream's own words","status":\#(status)}"#)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[HTTPField.Name("X-Upstream-Error")!] == "yes")
            }
        }
    }

    @Test func anUpstreamDownIs502AndASlowOneIs504AndBothAreLogged() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            let down = try await api.send(.get, "/v1/down", key: portico.testKey)
            #expect(down.status == .badGateway)
            #expect(down.headers[.contentType] == "application/problem+json")
            #expect(down.json["code"] as? String == "upstream_unavailable")

            let slow = try await api.send(.get, "/v1/slow/s1?delay_ms=3000", key: portico.testKey)
            #expect(slow.status == .gatewayTimeout)
            #expect(slow.json["code"] as? String == "upstream_timeout")
            #expect(slow.json["request_id"] as? String == slow.requestID)

            await portico.flushLogs()
            let logs = try await api.send(.get, "/v1/request-logs?limit=10", key: portico.testKey).list
            let outcomes = logs.compactMap { log -> String? in
                guard let route = log["route"] as? String, let status = log["status"] as? Int else { return nil }
                return "\(status) \(route)"
            }
            #expect(outcomes.contains("502 /v1/down"))
            #expect(outcomes.contains("504 /v1/slow/{id}"))
        }
    }

    @Test func fiftyMegabytesStreamThroughWhole() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            let size = 50 * 1_048_576
            let port = try #require(api.client.port)
            let key = portico.testKey
            let (head, bodyBytes) = await RawHTTPConnection.blockingNew(port: port) { connection in
                connection.send(
                    "GET /v1/orders/big?bytes=\(size) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key)\r\nConnection: close\r\n\r\n"
                )
                return (connection.read(until: "\r\n\r\n"), connection.count())
            }
            #expect(head.hasPrefix("HTTP/1.1 200 OK"))
            #expect(head.contains("Content-Length: \(size)\r\n"))
            #expect(bodyBytes == size)
        }
    }

    @Test func aClientThatLeavesMidStreamEndsTheUpstreamRequest() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let port = try #require(api.client.port)
            let key = portico.testKey
            let started = await RawHTTPConnection.blockingNew(port: port) { connection in
                connection.send("GET /v1/orders/stream?endless=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key)\r\n\r\n")
                return connection.read(until: "tick\n").contains("200 OK")
            }
            #expect(started)
            // The connection is closed once the closure returns; the upstream's writes must then fail.
            let deadline = ContinuousClock.now + .seconds(15)
            while test.abandoned == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(test.abandoned == 1)
        }
    }

    @Test func reportedUsageIsMeteredAndRemovedAndTheRouteCostCountsOnSuccessOnly() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            // "tokens=1234, bogus=5": tokens is declared, bogus is not.
            let usage = "tokens%3D1234%2C%20bogus%3D5"
            let ok = try await api.send(.get, "/v1/orders/1?usage=\(usage)", key: portico.testKey)
            #expect(ok.status == .ok)
            #expect(ok.headers[HTTPField.Name("Portico-Usage")!] == nil)
            // A failed call still meters what the upstream says it used, but not the route's cost.
            let failed = try await api.send(.get, "/v1/orders/1?status=422&usage=tokens%3D10", key: portico.testKey)
            #expect(failed.status.code == 422)
            await portico.flushLogs()

            let report = try await api.send(.get, "/v1/usage?metric=tokens", key: portico.testKey)
            let quantities = report.list.compactMap { $0["quantity"] as? Int }
            let metered = quantities.reduce(0, +)
            #expect(metered == 1_246)  // 1,234 reported + 2 for the route's cost + 10 reported by the failed call
            let bogus = try await api.send(.get, "/v1/usage?metric=bogus", key: portico.testKey)
            #expect(bogus.list.isEmpty)
        }
    }

    @Test func anIdempotentPostReachesTheUpstreamOnceAndIsReplayed() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let headers: HTTPFields = [.idempotencyKey: "order-1"]
            let first = try await api.send(.post, "/v1/orders/new", key: portico.testKey, json: #"{"sku":"a"}"#, headers: headers)
            let second = try await api.send(.post, "/v1/orders/new", key: portico.testKey, json: #"{"sku":"a"}"#, headers: headers)
            #expect(first.status == .ok)
            #expect(second.status == .ok)
            #expect(second.headers[.idempotentReplayed] == "true")
            #expect(second.text == first.text)
            #expect(test.seen.count == 1)
            #expect(test.seen.first?.header("Idempotency-Key") == "order-1")
            #expect(test.seen.first?.body == #"{"sku":"a"}"#)

            let other = try await api.send(.post, "/v1/orders/new", key: portico.testKey, json: #"{"sku":"b"}"#, headers: headers)
            #expect(other.json["code"] as? String == "idempotency_key_reused")
            #expect(test.seen.count == 1)
        }
    }

    @Test func aLargeIdempotentResponseStreamsUnstoredAndItsRetryReachesTheUpstreamAgain() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let headers: HTTPFields = [.idempotencyKey: "export-1"]
            let size = 2 * GatewayRoute.maxBufferedBytes
            let first = try await api.send(.post, "/v1/orders/export?bytes=\(size)", key: portico.testKey, json: "{}", headers: headers)
            let second = try await api.send(.post, "/v1/orders/export?bytes=\(size)", key: portico.testKey, json: "{}", headers: headers)
            #expect(first.body.readableBytes == size && second.body.readableBytes == size)
            #expect(second.headers[.idempotentReplayed] == nil)
            #expect(test.seen.map { $0.header("Idempotency-Key") } == ["export-1", "export-1"])
        }
    }

    @Test func bodyCaptureHoldsOnlyBodiesSmallEnoughToBuffer() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            try await portico.runtime.billing.updateOrganization(id: portico.organizationID, plan: nil, bodyCapture: true, by: .cli)
            try await portico.runtime.authenticator.refreshIfChanged()
            let small = try await api.send(.get, "/v1/orders/1", key: portico.testKey)
            let large = try await api.send(.get, "/v1/orders/2?bytes=\(2 * GatewayRoute.maxBufferedBytes)", key: portico.testKey)
            #expect(large.body.readableBytes == 2 * GatewayRoute.maxBufferedBytes)
            await portico.flushLogs()
            let smallLog = try await api.send(.get, "/v1/request-logs/\(try #require(small.requestID))", key: portico.testKey).json
            #expect((smallLog["response_body"] as? String)?.contains(#""upstream":"test""#) == true)
            let largeLog = try await api.send(.get, "/v1/request-logs/\(try #require(large.requestID))", key: portico.testKey).json
            #expect(largeLog["response_body"] as? String == GatewayRoute.notCaptured)
        }
    }

    @Test func customScopesAreGrantedAtKeyCreationAndChecked() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            let created = try await api.send(.post, "/v1/keys", key: portico.testKey, json: #"{"kind":"restricted","scopes":["orders:read"]}"#)
            #expect(created.status == .ok)
            let reader = try #require(created.json["secret"] as? String)
            #expect(try await api.send(.get, "/v1/orders/1", key: reader).status == .ok)
            let upload = try await api.send(.post, "/v1/uploads", key: reader, json: "{}")
            #expect(upload.status == .forbidden)
            #expect((upload.json["detail"] as? String)?.contains("orders:write") == true)

            let customersOnly = try await api.send(
                .post,
                "/v1/keys",
                key: portico.testKey,
                json: #"{"kind":"restricted","scopes":["customers:read"]}"#
            )
            let other = try #require(customersOnly.json["secret"] as? String)
            #expect(try await api.send(.get, "/v1/orders/1", key: other).status == .forbidden)

            let unknown = try await api.send(.post, "/v1/keys", key: portico.testKey, json: #"{"kind":"restricted","scopes":["widgets:read"]}"#)
            #expect(unknown.status == .badRequest)
            #expect((unknown.json["detail"] as? String)?.contains("orders:read") == true)
        }
    }

    @Test func theRoutesOwnBodyLimitApplies() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let small = try await api.send(.post, "/v1/uploads", key: portico.testKey, json: "\"\(String(repeating: "a", count: 500))\"")
            #expect(small.status == .ok)
            let large = try await api.send(.post, "/v1/uploads", key: portico.testKey, json: "\"\(String(repeating: "a", count: 2_000))\"")
            #expect(large.status == .contentTooLarge)
            #expect(large.json["code"] as? String == "request_too_large")
            #expect(test.seen.count == 1)

            // A chunked body has no length to check first: it is counted as it streams.
            let port = try #require(api.client.port)
            let key = portico.testKey
            let status = await RawHTTPConnection.blockingNew(port: port) { connection in
                let chunk = String(repeating: "b", count: 600)
                connection.send(
                    "POST /v1/uploads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key)\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                for _ in 0..<3 { connection.send("258\r\n\(chunk)\r\n") }
                connection.send("0\r\n\r\n")
                return connection.read(until: "\r\n").trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(status.hasPrefix("HTTP/1.1 413 "))
        }
    }

    @Test func aMethodTheRouteDoesNotListIs405WithAllow() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let response = try await api.send(.put, "/v1/orders/1", key: portico.testKey, json: "{}")
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET, POST, DELETE")
            #expect(test.seen.isEmpty)
        }
    }

    @Test func connectionsToOneUpstreamAreBoundedAndRequestsBeyondWait() async throws {
        let twoConnections: @Sendable (inout PorticoConfig) -> Void = { $0.gateway.maxConnectionsPerUpstream = 2 }
        try await GatewayFixture.run(twoConnections) { portico, api, _, test in
            let key = portico.testKey
            let base = portico.runtime.baseURL.value
            // URLSession opens a connection per request in flight (the test client has one connection).
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<6 {
                    group.addTask { try await HTTP.request("GET", "\(base)/v1/orders/\(index)?delay_ms=300", key: key).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 6))
            #expect(test.seen.count == 6)
            #expect(test.peakInFlight == 2)
        }
    }

    @Test func theRoutesRateLimitRefusesWithTheUsualHeaders() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            let first = try await api.send(.get, "/v1/limited", key: portico.testKey)
            let second = try await api.send(.get, "/v1/limited", key: portico.testKey)
            #expect(first.status == .ok)
            #expect(second.status == .tooManyRequests)
            #expect(second.json["code"] as? String == "rate_limited")
            #expect(second.headers[.retryAfter] != nil)
            #expect(second.headers[HTTPField.Name("RateLimit-Policy")!]?.contains("route") == true)
        }
    }

    @Test(arguments: ["/v1/orders/..%2F..%2Fadmin", "/v1/orders/%2e%2e/admin", "/v1/orders/a%2Fb", "/v1/orders/.%2E/x"])
    func pathsThatWouldEscapeTheRouteAreRefused(path: String) async throws {
        try await GatewayFixture.run { portico, api, live, test in
            let response = try await api.send(.get, path, key: portico.testKey)
            #expect(response.status == .badRequest)
            #expect(response.json["param"] as? String == "path")
            #expect(live.seen.isEmpty && test.seen.isEmpty)
        }
    }

    @Test func requestLogsNameTheRouteTemplateAndUnknownPathsStayPorticos404() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            _ = try await api.send(.get, "/v1/orders/42", key: portico.testKey)
            let unknown = try await api.send(.get, "/v1/nothing-here", key: portico.testKey)
            #expect(unknown.status == .notFound)
            #expect(unknown.json["code"] as? String == "route_not_found")
            await portico.flushLogs()
            let logs = try await api.send(.get, "/v1/request-logs?limit=5", key: portico.testKey).list
            let order = try #require(logs.first { $0["path"] as? String == "/v1/orders/42" })
            #expect(order["route"] as? String == "/v1/orders/*")
            #expect(order["status"] as? Int == 200)
        }
    }

    @Test func anUnauthenticatedCallNeverReachesTheUpstream() async throws {
        try await GatewayFixture.run { _, api, live, test in
            let response = try await api.send(.get, "/v1/orders/1")
            #expect(response.status == .unauthorized)
            let wrong = try await api.send(.get, "/v1/orders/1", key: "sk_test_notAKeyAtAllButLongEnough000")
            #expect(wrong.status == .unauthorized)
            #expect(live.seen.isEmpty && test.seen.isEmpty)
        }
    }
}

extension RawHTTPConnection {
    /// Opens a connection, runs `work` on it off the concurrency pool, and closes it.
    static func blockingNew<T: Sendable>(port: Int, _ work: @escaping @Sendable (RawHTTPConnection) -> T) async -> T {
        await offPool {
            guard let connection = try? RawHTTPConnection(port: port) else { fatalError("cannot connect to 127.0.0.1:\(port)") }
            return work(connection)
        }
    }
}

/// Plans' monthly quotas on declared metrics, enforced on the routes that meter them.
struct GatewayMetricQuotaTests {
    @Test func aRouteIsRefusedOnceItsMetricsMonthlyQuotaIsUsed() async throws {
        let quota: @Sendable (inout PorticoConfig) -> Void = { $0.plans["enterprise"]?.test.metricQuotas = ["tokens": 10] }
        try await GatewayFixture.run(quota) { portico, api, _, test in
            // 8 reported plus the route's cost of 2 use the quota up.
            let first = try await api.send(.get, "/v1/orders/1?usage=tokens%3D8", key: portico.testKey)
            #expect(first.status == .ok)
            #expect(first.headers[HTTPField.Name("RateLimit-Policy")!]?.contains("\"tokens-monthly-quota\";q=10") == true)
            let refused = try await api.send(.get, "/v1/orders/2", key: portico.testKey)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json["code"] as? String == "quota_exceeded")
            #expect(refused.json["limit"] as? String == "tokens-monthly-quota")
            #expect((refused.json["detail"] as? String)?.contains("10 tokens per calendar month") == true)
            #expect(test.seen.count == 1)
            // Routes that do not meter tokens are not held back.
            #expect(try await api.send(.get, "/v1/documents/d1", key: portico.testKey).status == .ok)
        }
    }
}
