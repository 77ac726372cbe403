import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// The overview's figures come from hourly aggregates written with the log and attempt batches.
struct DashboardOverviewTests {
    @Test func histogramBucketsAreContiguousAndPercentilesClose() {
        #expect(LatencyHistogram.bucket(microseconds: 0) == 0 && LatencyHistogram.bucket(microseconds: 49) == 0)
        #expect(LatencyHistogram.bucket(microseconds: 50) == 1)
        #expect(LatencyHistogram.bucket(microseconds: 3_600_000_000) == LatencyHistogram.lastBucket)
        for bucket in 1..<LatencyHistogram.lastBucket {
            #expect(LatencyHistogram.bounds(bucket).upper == LatencyHistogram.bounds(bucket + 1).lower)
            let lower = Int64(LatencyHistogram.bounds(bucket).lower.rounded(.up))
            #expect(LatencyHistogram.bucket(microseconds: lower) == bucket, "bucket \(bucket) starts at \(lower) µs")
        }
        // 1 ms … 100 ms in 1 µs steps of 10: exact percentiles are known.
        var counts: [Int: Int64] = [:]
        for micros in stride(from: Int64(1_000), through: 100_000, by: 10) { counts[LatencyHistogram.bucket(microseconds: micros), default: 0] += 1 }
        for (quantile, exact) in [(0.5, 50_500.0), (0.95, 95_050.0), (0.99, 99_010.0)] {
            let estimate = try! #require(LatencyHistogram.percentile(quantile, counts: counts))
            #expect(abs(estimate - exact) / exact < 0.10, "p\(Int(quantile * 100)) \(estimate) vs \(exact)")
        }
        #expect(LatencyHistogram.percentile(0.5, counts: [:]) == nil)
    }

    @Test func overviewShowsRequestsErrorsLatencyAndWebhookFailures() async throws {
        let portico = try await TestPortico.make()
        // A 503 asking for an hour: the automatic retry 5 s later would make it "of 2" on a slow run.
        let refuse = WebhookReceiver.Reply(status: .serviceUnavailable, headers: [HTTPField.Name("Retry-After")!: "3600"])
        try await WebhookReceiver.with(.always(refuse)) { receiver in
            try await portico.run { (api: APIClient) in
                let owner = try await DashboardPagesTests.signedInOwner(portico, api)
                for _ in 0..<3 { _ = try await api.send(.get, "/v1/customers", key: portico.testKey) }
                #expect(try await api.send(.get, "/v1/customers/cus_missing", key: portico.testKey).status == .notFound)
                // A request without a key has no tenant: logged, but in nobody's overview.
                _ = try await api.send(.get, "/v1/customers")
                await portico.flushLogs()

                let now = portico.clock.nowMilliseconds
                let stats = try await portico.store.requestStats(scope: portico.testScope, from: now - 86_400_000, until: now + 1)
                let summary = TrafficSummary(stats)
                #expect(summary.requests == 4 && summary.clientErrors == 1 && summary.serverErrors == 0)
                let logged = try await portico.store.requestLogs(
                    scope: portico.testScope,
                    filter: RequestLogFilter(),
                    page: PageRequest(limit: 100),
                    width: portico.runtime.partitionWidth
                )
                let slowest = try #require(logged.items.map(\.durationMicroseconds).max())
                #expect(try #require(summary.p99) <= Double(slowest) * 1.2, "p99 is within the slowest request's bucket")

                // One failed webhook attempt.
                let endpoint = try await api.createEndpoint(key: portico.testKey, url: receiver.url)
                _ = try await api.send(.post, "/v1/webhook-endpoints/\(endpoint.id)/test", key: portico.testKey)
                try await receiver.waitFor(1)
                let deadline = ContinuousClock.now + .seconds(15)
                while try await portico.store.webhookAttemptStats(scope: portico.testScope, from: 0, until: .max).failed < 1,
                    ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await portico.flushLogs()

                let page = try await owner.get("/dashboard")
                #expect(page.status == .ok)
                // Requests now include the endpoint create and the test call.
                #expect(page.text.contains("<dt>Requests</dt><dd>6</dd>"))
                #expect(page.text.contains("<dt>Client errors (4xx)</dt><dd>16.7 %</dd>"))
                #expect(page.text.contains("<dt>Server errors (5xx)</dt><dd>0.0 %</dd>"))
                #expect(page.text.contains("<dt>Webhook attempts failed</dt><dd>100.0 % of 1</dd>"))
                #expect(page.text.contains(" ms / "), "latency percentiles are shown")

                // Live mode has its own figures: none yet.
                let live = TrafficSummary(
                    try await portico.store.requestStats(
                        scope: TenantScope(organizationId: portico.organizationID, livemode: true),
                        from: 0,
                        until: .max
                    )
                )
                #expect(live.requests == 0 && live.p50 == nil)
            }
        }
    }
}
