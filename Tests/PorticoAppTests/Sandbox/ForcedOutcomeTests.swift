import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp

/// `Portico-Test-Outcome` on a real server: each forced outcome is the real
/// response (status, problem, headers), is logged like one, leaves nothing
/// behind, and live mode ignores the header.
@Suite struct ForcedOutcomeTests {
    static let header = HTTPField.Name(ForcedOutcome.headerName)!

    @Test func rateLimitedIsARealRefusalThatCostsNothing() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let before = try await api.send(.get, "/v1/customers", key: key)
            #expect(before.status == .ok)
            let forced = try await api.send(.get, "/v1/customers", key: key, headers: [Self.header: "rate_limited"])
            #expect(forced.status == .tooManyRequests)
            #expect(forced.headers[.contentType] == "application/problem+json")
            #expect(forced.json["code"] as? String == "rate_limited")
            #expect((forced.json["detail"] as? String)?.contains(ForcedOutcome.headerName) == true)
            #expect(forced.headers[.retryAfter] == "1")
            #expect(forced.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "0")
            #expect(forced.headers[HTTPField.Name("RateLimit-Policy")!]?.contains("key-") == true)
            #expect(!portico.runtime.metrics.exposition().contains("portico_rate_limit_hits_total{"), "no rate-limit hit was counted")
            let after = try await api.send(.get, "/v1/customers", key: key)
            #expect(after.status == .ok)
            // The forced 429 was given back: the key's minute window counts the two real requests only.
            let quota = try #require(Self.minuteRemaining(before).map { $0 + 1 })
            #expect(Self.minuteRemaining(after) == quota - 2)

            await portico.flushLogs()
            let logged = try await api.send(.get, "/v1/request-logs?status=429", key: key).list
            #expect(logged.count == 1)
            #expect(logged.first?["id"] as? String == forced.requestID)
        }
    }

    @Test func serverErrorAndUpstreamFailuresAreProblemsAndCreateNothing() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("server_error", .internalServerError, "internal_error"),
                ("upstream_timeout", .gatewayTimeout, "upstream_timeout"),
                ("upstream_unavailable", .badGateway, "upstream_unavailable"),
            ]
            for (value, status, code) in cases {
                let forced = try await api.send(
                    .post,
                    "/v1/customers",
                    key: key,
                    json: #"{"name":"Forced"}"#,
                    headers: [Self.header: value, HTTPField.Name("Idempotency-Key")!: "forced-\(value)"]
                )
                #expect(forced.status == status, "\(value)")
                #expect(forced.json["code"] as? String == code, "\(value)")
                #expect(forced.json["request_id"] as? String == forced.requestID)
                // The same idempotency key without the header runs the request: the forced failure was never stored.
                let retried = try await api.send(
                    .post,
                    "/v1/customers",
                    key: key,
                    json: #"{"name":"Forced"}"#,
                    headers: [HTTPField.Name("Idempotency-Key")!: "forced-\(value)"]
                )
                #expect(retried.status == .ok, "\(value): \(retried.text)")
                #expect(retried.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            }
            #expect(try await api.send(.get, "/v1/customers?limit=100", key: key).list.count == 3, "only the retries created customers")
            // The tenant's tests are not the platform's health: /metrics leaves forced failures out.
            let metrics = portico.runtime.metrics.exposition()
            for status in ["500", "502", "504"] { #expect(!metrics.contains(#"status="\#(status)""#), "\(status) in /metrics") }
            await portico.flushLogs()
            for status in [500, 504, 502] {
                #expect(try await api.send(.get, "/v1/request-logs?status=\(status)", key: key).list.count == 1, "\(status) logged")
            }
        }
    }

    @Test func slowAnswersNormallyAfterTheDelay() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let slow = try await api.send(
                .post,
                "/v1/customers",
                key: portico.testKey,
                json: #"{"name":"Slow"}"#,
                headers: [Self.header: "slow=300"]
            )
            #expect(slow.status == .ok)
            #expect(slow.json["name"] as? String == "Slow")
            await portico.flushLogs()
            let logged = try #require(try await api.send(.get, "/v1/request-logs?method=POST", key: portico.testKey).list.first)
            #expect((logged["duration_ms"] as? Double ?? 0) >= 300, "the log shows the time the request took: \(logged)")
        }
    }

    @Test func liveModeIgnoresTheHeaderAndBadValuesAreRefused() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let live = try await api.send(.get, "/v1/customers", key: portico.liveKey, headers: [Self.header: "server_error"])
            #expect(live.status == .ok, "a forgotten header never changes a live request")
            for bad in ["teapot", "slow=", "slow=-1", "slow=10001", "slow=5s", "rate_limited,server_error"] {
                let refused = try await api.send(.get, "/v1/customers", key: portico.testKey, headers: [Self.header: bad])
                #expect(refused.status == .badRequest, "\(bad)")
                #expect(refused.json["code"] as? String == "parameter_invalid", "\(bad)")
                #expect(refused.json["param"] as? String == ForcedOutcome.headerName, "\(bad)")
            }
        }
    }

    @Test func gatewayRoutesFailWithoutCallingTheUpstream() async throws {
        try await GatewayFixture.run { portico, api, live, test in
            let timeout = try await api.send(.get, "/v1/orders/7", key: portico.testKey, headers: [Self.header: "upstream_timeout"])
            #expect(timeout.status == .gatewayTimeout)
            let unavailable = try await api.send(.get, "/v1/orders/7", key: portico.testKey, headers: [Self.header: "upstream_unavailable"])
            #expect(unavailable.status == .badGateway)
            #expect(test.seen.isEmpty && live.seen.isEmpty)
            // Live mode: the header is ignored and the upstream never sees it.
            let passed = try await api.send(.get, "/v1/orders/7", key: portico.liveKey, headers: [Self.header: "upstream_timeout"])
            #expect(passed.status == .ok)
            #expect(live.seen.count == 1)
            #expect(live.seen.first?.header(ForcedOutcome.headerName) == nil)
        }
    }

    /// The `r` of `"key-minute"` in a response's `RateLimit` header.
    static func minuteRemaining(_ response: TestResponse) -> Int? {
        guard let header = response.headers[HTTPField.Name("RateLimit")!] else { return nil }
        for item in header.split(separator: ",") where item.contains("\"key-minute\"") {
            for parameter in item.split(separator: ";") where parameter.hasPrefix("r=") { return Int(parameter.dropFirst(2)) }
        }
        return nil
    }
}
