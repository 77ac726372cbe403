import Foundation
import HTTPTypes
import Testing

@testable import PorticoApp

/// The dashboard shows gateway routes, custom scopes and custom metrics.
struct GatewayDashboardTests {
    @Test func logsUsageQuotasAndKeysShowTheGateway() async throws {
        let quota: @Sendable (inout PorticoConfig) -> Void = { $0.plans["enterprise"]?.test.metricQuotas = ["tokens": 5_000] }
        try await GatewayFixture.run(quota) { portico, api, _, _ in
            let call = try await api.send(.get, "/v1/orders/7?usage=tokens%3D1234", key: portico.testKey)
            let requestID = try #require(call.requestID)
            await portico.flushLogs()
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)

            let log = try await owner.get("/dashboard/logs/\(requestID)")
            #expect(log.status == .ok)
            #expect(log.text.contains("/v1/orders/*"))

            // Declared metrics are offered with their descriptions; the month against the plan's metric quota.
            let usage = try await owner.get("/dashboard/usage?metric=tokens")
            #expect(usage.text.contains("tokens — Model tokens generated"))
            #expect(usage.text.contains("<tr><td>tokens</td><td>1236</td><td>5000</td><td>25 %</td></tr>"))

            // Custom scopes are offered with what they allow, and a key made with one can call the route.
            let keys = try await owner.get("/dashboard/keys")
            #expect(keys.text.contains("<code>orders:read</code> — Read orders"))
            let token = try #require(Browser.field("csrf_token", in: keys.text))
            let created = try await owner.post(
                "/dashboard/keys",
                [("csrf_token", token), ("kind", "restricted"), ("scopes", "orders:read"), ("label", "orders reader")]
            )
            let secret = try #require(created.text.firstMatch(of: /rk_test_[0-9A-Za-z]{30}/).map { String($0.output) })
            #expect(try await api.send(.get, "/v1/orders/1", key: secret).status == .ok)
            #expect(try await api.send(.get, "/v1/customers", key: secret).status == .forbidden)
        }
    }
}
