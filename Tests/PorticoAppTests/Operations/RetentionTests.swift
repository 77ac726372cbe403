import Foundation
import GRDB
import HTTPTypes
import PorticoCore
import Testing

@testable import PorticoApp
@testable import PorticoStore

/// The daily retention job: each kind of data is deleted once its period is
/// over, and not before; the settings page lists every period.
@Suite struct RetentionTests {
    static func count(_ portico: TestPortico, _ table: String) async throws -> Int {
        try await portico.sqliteStore.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    @Test func eachKindIsDeletedWhenItsPeriodIsOverAndNotBefore() async throws {
        let portico = try await TestPortico.make {
            $0.retention.requestLogsDays = 7
            $0.retention.eventsDays = 10
            $0.retention.deliveriesDays = 3
            $0.retention.mailDays = 5
            $0.retention.auditDays = 20
        }
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            // A delivery that succeeds, with its attempt; an idempotent POST; a session; a reset link and its mail.
            let endpoint = try await api.createEndpoint(key: key, url: "https://fail.portico.test/200", events: ["order.created"]).id
            let event = try await api.postEvent(key: key)
            let delivery = try await api.delivery(key: key, endpoint: endpoint, attempts: 1)
            #expect(delivery["status"] as? String == "succeeded")
            let deliveryID = try #require(delivery["id"] as? String)
            let created = try await api.send(
                .post,
                "/v1/customers",
                key: key,
                json: #"{"name":"Kept"}"#,
                headers: [.init("Idempotency-Key")!: "retention-1"]
            )
            #expect(created.status == .ok)
            let customer = try #require(created.json["id"] as? String)
            _ = try await DashboardPagesTests.signedInOwner(portico, api)
            _ = try await PasswordResetTests.ask(Browser(api.client), for: portico.seed.ownerEmail)
            await portico.flushLogs()
            for table in ["idempotency_responses", "dashboard_sessions", "password_resets", "mail_outbox", "audit_log", "webhook_attempts"] {
                #expect(try await Self.count(portico, table) > 0, "\(table) has a row to age out")
            }

            // Nothing is due yet.
            let now = await portico.runtime.applyRetention()
            #expect(now.failed.isEmpty)
            #expect(now.deleted.values.allSatisfy { $0 == 0 }, "\(now.deleted)")

            // Day 4: the finished delivery (3 days) with its attempt, the idempotency record (24 hours),
            // the session (12 hours at most) and the reset link (an hour) are gone; the event stays.
            try await portico.advance(seconds: 4 * 86_400)
            let day4 = await portico.runtime.applyRetention()
            #expect(day4.deleted["deliveries"] == 1)
            #expect(day4.deleted["idempotency_records"] == 1)
            #expect((day4.deleted["dashboard_sessions"] ?? 0) >= 1)
            #expect((day4.deleted["expired_links"] ?? 0) >= 1)
            #expect(day4.deleted["events"] == 0 && day4.deleted["mail"] == 0 && day4.deleted["audit_entries"] == 0)
            #expect(try await api.send(.get, "/v1/webhook-deliveries/\(deliveryID)", key: key).status == .notFound)
            #expect(try await Self.count(portico, "webhook_attempts") == 0)
            #expect(try await api.send(.get, "/v1/events/\(event)", key: key).status == .ok)
            #expect(try await Self.count(portico, "idempotency_responses") == 0)
            #expect(try await Self.count(portico, "dashboard_sessions") == 0)
            #expect(try await api.send(.get, "/v1/customers/\(customer)", key: key).status == .ok, "customers are not retention's to delete")

            // Day 6: the mail (5 days). Day 8: the first day's request-log partition (7 days).
            try await portico.advance(seconds: 2 * 86_400)
            #expect(await portico.runtime.applyRetention().deleted["mail"] ?? 0 >= 1)
            #expect(try await Self.count(portico, "mail_outbox") == 0)
            try await portico.advance(seconds: 2 * 86_400)
            #expect(await portico.runtime.applyRetention().deleted["request_log_partitions"] == 1)

            // Day 11: the event (10 days). Day 21: the audit entries of day 0 (20 days), not the later ones.
            try await portico.advance(seconds: 3 * 86_400)
            #expect(await portico.runtime.applyRetention().deleted["events"] == 2, "the order's event and the customer's")
            #expect(try await api.send(.get, "/v1/events/\(event)", key: key).status == .notFound)
            let before = try await Self.count(portico, "audit_log")
            _ = try await DashboardPagesTests.signedInOwner(portico, api)  // a sign-in on day 11 is audited
            let later = try await Self.count(portico, "audit_log") - before
            #expect(later > 0)
            try await portico.advance(seconds: 10 * 86_400)
            let day21 = await portico.runtime.applyRetention()
            #expect(day21.deleted["audit_entries"] == before)
            #expect(try await Self.count(portico, "audit_log") == later)
            #expect(day21.failed.isEmpty)

            let metrics = try await api.send(.get, "/metrics").text
            #expect(
                metrics.contains(#"portico_retention_deleted_total{kind="deliveries"} 1"#),
                "\(metrics.split(separator: "\n").filter { $0.contains("retention") })"
            )
        }
    }

    @Test func anEventStillOwedADeliveryOutlivesItsRetention() async throws {
        let portico = try await TestPortico.make {
            $0.retention.eventsDays = 1
            $0.retention.deliveriesDays = 1
        }
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let endpoint = try await api.createEndpoint(key: key, url: "https://fail.portico.test/500", events: ["order.created"]).id
            let event = try await api.postEvent(key: key)
            let delivery = try await api.delivery(key: key, endpoint: endpoint, attempts: 1)
            #expect(delivery["status"] as? String == "failed" && delivery["next_attempt_at"] is String, "a retry is scheduled")
            // Two days on (the dispatcher not woken): past both periods, the retry still owed.
            portico.clock.advance(by: 2 * 86_400)
            let report = await portico.runtime.applyRetention()
            #expect(report.deleted["events"] == 0 && report.deleted["deliveries"] == 0)
            #expect(try await api.send(.get, "/v1/events/\(event)", key: key).status == .ok)
        }
    }

    @Test func theSettingsPageListsEveryPeriod() async throws {
        let portico = try await TestPortico.make { $0.retention.auditDays = 400 }
        try await portico.run { (api: APIClient) async throws in
            let browser = try await DashboardPagesTests.signedInOwner(portico, api)
            let page = try await browser.get("/dashboard/settings")
            #expect(page.status == .ok)
            for (kind, kept, setting) in portico.runtime.config.retentionPolicy.kinds {
                #expect(page.text.contains("<td>\(kind)</td><td>\(kept)</td><td><code>\(setting)</code></td>"), "\(kind)")
            }
            #expect(page.text.contains("<td>Audit log</td><td>400 days</td>"))
        }
    }
}
