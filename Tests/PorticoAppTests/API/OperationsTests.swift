import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import PorticoApp
@testable import PorticoStore

struct OperationsTests {
    @Test func healthAndReadiness() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            #expect(try await api.send(.get, "/healthz").status == .ok)
            #expect(try await api.send(.get, "/readyz").status == .ok)
            // An unmigrated schema is not ready.
            try await portico.executeSQL(sqlite: "DELETE FROM grdb_migrations", postgres: "DELETE FROM portico_migrations")
            let notReady = try await api.send(.get, "/readyz")
            ErrorTests.expectProblem(notReady, status: .serviceUnavailable, code: "service_unavailable")
            #expect(try await api.send(.get, "/healthz").status == .ok)
        }
    }

    @Test func metricsCountRequestsByRouteAndStatusWithLatencyHistogram() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            try await api.send(.get, "/v1/customers", key: portico.testKey)
            try await api.send(.get, "/v1/customers", key: portico.testKey)
            try await api.send(.get, "/v1/customers/cus_missing", key: portico.testKey)
            let metrics = try await api.send(.get, "/metrics")
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(text.contains(#"portico_http_requests_total{route="/v1/customers",method="GET",status="200"} 2"#))
            #expect(text.contains(#"portico_http_requests_total{route="/v1/customers/{id}",method="GET",status="404"} 1"#))
            #expect(text.contains("portico_http_request_duration_seconds_bucket{"))
            #expect(text.contains("# TYPE portico_http_request_duration_seconds histogram"))
        }
    }

    @Test func auditLogRecordsWhoDidWhatFromWhere() async throws {
        let portico = try await TestPortico.make()
        let entries = try await portico.store.auditEntries(organizationId: portico.organizationID, page: PageRequest(limit: 100))
        let actions = entries.items.map(\.action)
        #expect(actions.filter { $0 == "organization.created" }.count == 1)
        #expect(actions.filter { $0 == "user.created" }.count == 1)
        #expect(actions.filter { $0 == "api_key.created" }.count == 4)
        #expect(entries.items.allSatisfy { $0.actorType == "system" && $0.createdAt > 0 })
        let actor = AuditActor(type: "user", id: "usr_1", ip: "203.0.113.7", requestID: "req_abc")
        let key = try await portico.runtime.keys.create(
            NewKeyRequest(organizationID: portico.organizationID, livemode: true, kind: .secret),
            by: actor
        )
        _ = try await portico.runtime.keys.roll(id: key.id, organizationID: portico.organizationID, overlap: 60, by: actor)
        let rows = try await portico.store.auditEntries(targetId: key.id)
        #expect(rows.map(\.action) == ["api_key.created", "api_key.rolled"])
        #expect(rows.allSatisfy { $0.actorId == "usr_1" && $0.ip == "203.0.113.7" && $0.requestId == "req_abc" })
        #expect(!rows.contains { $0.details.contains(key.secret) })
    }
}

struct MeteringMetricsTests {
    @Test func writerAndLimiterMetricsAreExposed() async throws {
        let portico = try await RateLimitTests.make(RateLimitTests.plan(perMinute: 1))
        try await portico.run { (api: APIClient) async throws in
            _ = try await api.send(.get, "/v1/customers", key: portico.testKey)
            _ = try await api.send(.get, "/v1/customers", key: portico.testKey)
            await portico.flushLogs()
            let text = try await api.send(.get, "/metrics").text
            #expect(text.contains("portico_request_log_batch_size_count"))
            #expect(text.contains("portico_request_log_writer_lag_seconds"))
            #expect(text.contains("portico_request_log_queue_depth 0"))
            #expect(text.contains(#"portico_rate_limit_hits_total{limit="key-minute"} 1"#))
        }
    }
}

/// A real scrape, after traffic that touches every kind of family (requests,
/// a 429, a webhook attempt), passes `promtool check metrics`: every family
/// has `# HELP` and `# TYPE`, names and units follow the conventions.
struct MetricsLintTests {
    @Test(.requires(.promtool)) func aRealScrapePassesPromtool() async throws {
        let portico = try await RateLimitTests.make(RateLimitTests.plan(perMinute: 1))
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) async throws in
                _ = try await api.createEndpoint(key: portico.testKey, url: receiver.url)
                _ = try await api.send(.get, "/v1/customers", key: portico.testKey)
                _ = try await api.send(.get, "/nowhere")
                await portico.flushLogs()
                let text = try await api.send(.get, "/metrics").text
                for family in ["process_open_fds", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds"] {
                    #expect(text.contains("# TYPE \(family) "), "\(family) is missing")
                }
                #expect(text.contains(#"portico_build_info{version=""#))
                #expect(text.contains(#"route="unmatched""#))
                let typed = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.count
                let helped = text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.count
                #expect(typed > 10)
                #expect(typed == helped)
                let promtool = try #require(OutsideTool.executable("promtool"), "promtool is missing: apt-get install -y prometheus")
                let lint = try await ChildProcess.run(promtool, ["check", "metrics"], input: Data(text.utf8), joinStderr: true)
                #expect(lint.status == 0, "promtool: \(lint.stdout)")
            }
        }
    }
}
