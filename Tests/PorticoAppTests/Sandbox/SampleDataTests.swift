import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// `--seed-data`: a month of history that the API, the dashboard and the
/// billing see like any other, and whose promises hold after it (deliveries
/// still owed an attempt are due in the future, not at once).
@Suite struct SampleDataTests {
    @Test func aSeededOrganizationHasAMonthOfEverything() async throws {
        let portico = try await TestPortico.make(sandbox: true)
        try await portico.run { api in
            // Seeded once the server runs, as `portico sandbox` does (its start checks sealed secrets against a new key file).
            try await Seeder(runtime: portico.runtime).seedSampleData(portico.seed)
            for key in [portico.testKey, portico.liveKey] {
                let customers = try await api.send(.get, "/v1/customers?limit=100", key: key).list
                #expect(customers.count >= 15, "\(customers.count) customers")
                let events = try await api.send(.get, "/v1/events?limit=100", key: key).list
                #expect(Set(events.compactMap { $0["type"] as? String }).isSuperset(of: ["customer.created", "order.created", "order.shipped"]))
                // Thirty days of request logs across routes and statuses, and their usage.
                let logs = try await Self.all("/v1/request-logs", api: api, key: key)
                let statuses = Set(logs.compactMap { $0["status"] as? Int })
                #expect(statuses.isSuperset(of: [200, 400, 404, 429, 500]), "\(statuses.sorted())")
                #expect(Set(logs.compactMap { $0["route"] as? String }).count >= 5)
                let oldest = try #require(logs.compactMap { Self.milliseconds($0["created_at"]) }.min())
                #expect(portico.clock.nowMilliseconds - oldest > 25 * 86_400_000, "the logs go back about a month")
                let since = (portico.clock.nowMilliseconds - 31 * 86_400_000) / 1_000
                let usage = try await api.send(.get, "/v1/usage?group_by=day&since=\(since)", key: key)
                #expect(usage.status == .ok)
                #expect(((usage.json["data"] as? [[String: Any]]) ?? []).count >= 25, "usage on most days: \(usage.text.prefix(300))")
                let invoices = try await api.send(.get, "/v1/invoices", key: key).list
                #expect(!invoices.isEmpty, "the month before is invoiced")
            }
            // Stored event data goes into responses as it is, so it must be in the canonical style.
            let stored = try await portico.store.events(scope: portico.testScope, filter: EventFilter(), page: PageRequest(limit: 100))
            #expect(stored.items.contains { $0.type == "order.created" })
            for event in stored.items {
                #expect(JSONWriter.text(try StrictJSONParser.parse(Array(event.data.utf8))) == event.data, "\(event.type): \(event.data)")
            }
            // Test-mode webhooks: deliveries that succeeded, failed (retry due later) and died.
            let deliveries = try await Self.all("/v1/webhook-deliveries", api: api, key: portico.testKey)
            let byStatus = Dictionary(grouping: deliveries) { $0["status"] as? String ?? "" }
            #expect((byStatus["succeeded"] ?? []).count > 10)
            #expect(!(byStatus["dead"] ?? []).isEmpty)
            let failed = try #require(byStatus["failed"], "\(byStatus.keys.sorted())")
            let now = portico.clock.nowMilliseconds
            for delivery in failed {
                let due = try #require(Self.milliseconds(delivery["next_attempt_at"]))
                #expect(due > now - 60_000, "owed attempts fall due later, not all at once at start")
            }
            // Every attempt is in the hourly counts the dashboard and the console read.
            let attempts = deliveries.reduce(0) { $0 + ($1["attempt_count"] as? Int ?? 0) }
            let counted = try await portico.store.webhookAttemptStats(scope: portico.testScope, from: 0, until: now + 1)
            #expect(counted.succeeded + counted.failed == Int64(attempts))
            #expect(counted.failed > 0 && counted.succeeded > 0)
            let endpoints = try await api.send(.get, "/v1/webhook-endpoints", key: portico.testKey).list
            #expect(endpoints.count == 3)
            #expect(endpoints.allSatisfy { ($0["url"] as? String)?.hasPrefix("https://fail.portico.test/") == true })
            #expect(endpoints.contains { $0["status"] as? String == "disabled" && $0["disabled_reason"] as? String == "gone" })
            #expect(try await api.send(.get, "/v1/webhook-endpoints", key: portico.liveKey).list.isEmpty, "live mode has no sample endpoints")
        }
    }

    @Test func theSandboxSeedsOnRequestOnly() async throws {
        let seeded = try await PorticoProcess.sandbox(arguments: ["--seed-data"])
        defer { seeded.process.end() }
        let key = try #require(seeded.keys["test_secret"])
        let customers = try await HTTP.exchange("GET", seeded.url + "/v1/customers?limit=5", key: key)
        #expect((customers.body["data"] as? [[String: Any]])?.count == 5)
        let plain = try await PorticoProcess.sandbox()
        defer { plain.process.end() }
        let plainKey = try #require(plain.keys["test_secret"])
        let none = try await HTTP.exchange("GET", plain.url + "/v1/customers", key: plainKey)
        #expect((none.body["data"] as? [[String: Any]])?.isEmpty == true)
    }

    static func milliseconds(_ value: Any?) -> Int64? {
        (value as? String).flatMap(RFC3339.date).map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) }
    }

    /// Every row of a list, following `starting_after`.
    static func all(_ path: String, api: APIClient, key: String) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var after: String?
        repeat {
            let page = try await api.send(.get, path + "?limit=100" + (after.map { "&starting_after=\($0)" } ?? ""), key: key).json
            let data = page["data"] as? [[String: Any]] ?? []
            rows += data
            after = (page["has_more"] as? Bool) == true ? data.last?["id"] as? String : nil
        } while after != nil && rows.count < 10_000
        return rows
    }
}
