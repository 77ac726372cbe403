import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp
@testable import PorticoStore

struct UsageAndInvoiceTests {
    @Test func usageIsMeteredPerKeyAndPeriodWithTheQuota() async throws {
        let portico = try await RateLimitTests.make(RateLimitTests.plan(daily: 100, monthly: 1_000))
        let second = try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret))
        let other = try await portico.seedOtherOrganization()
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<3 { _ = try await api.send(.get, "/v1/customers", key: portico.testKey) }
            _ = try await api.send(.get, "/v1/customers/cus_none", key: second.secret)  // a 404 still counts
            _ = try await api.send(.post, "/v1/keys/verify", key: second.secret, json: #"{"key":"sk_test_nope"}"#)
            _ = try await api.send(.get, "/v1/customers", key: portico.liveKey)
            _ = try await api.send(.get, "/v1/customers", key: other.keys.testSecret)
            await portico.flushLogs()

            let byKey = try await api.send(.get, "/v1/usage?group_by=key", key: portico.testKey)
            #expect(byKey.status == .ok, "\(byKey.text)")
            let lines = byKey.list.map { ($0["key_id"] as? String ?? "", $0["metric"] as! String, $0["quantity"] as! Int) }
            let firstKey = try #require(try await portico.runtime.authenticator.principal(for: Substring(portico.testKey))).keyID
            // This very request is not yet committed, so it is not counted.
            #expect(lines.contains { $0 == (firstKey, "requests", 3) })
            #expect(lines.contains { $0 == (second.id, "requests", 2) })
            #expect(lines.contains { $0 == (second.id, "key_verifications", 1) })
            #expect(lines.count == 3)  // nothing from live mode or the other organization

            let byDay = try await api.send(.get, "/v1/usage?group_by=day&metric=requests", key: portico.testKey).json
            let day = try #require((byDay["data"] as? [[String: Any]])?.first)
            // 3 + 2 test-mode requests, plus the /v1/usage call above if the writer committed it meanwhile.
            #expect((day["quantity"] as? Int).map { (5...6).contains($0) } == true && day["key_id"] is NSNull)
            #expect((day["period_start"] as? String)?.hasSuffix("T00:00:00Z") == true)
            let period = try #require(byDay["current_period"] as? [String: Any])
            #expect(period["quota"] as? Int == 1_000 && period["enforced"] as? Bool == true)
            #expect((period["used"] as? Int).map { $0 >= 5 } == true)
            #expect(period["remaining"] as? Int == 1_000 - (period["used"] as! Int))
            #expect((byDay["current_day"] as? [String: Any])?["quota"] as? Int == 100)
            let hourly = try await api.send(.get, "/v1/usage?group_by=hour", key: portico.testKey)
            #expect(hourly.list.allSatisfy { ($0["period_start"] as? String)?.hasSuffix(":00:00Z") == true })

            for (query, param) in [("group_by=week", "group_by"), ("since=2020-01-01T00:00:00Z", "since"), ("x=1", "x")] {
                #expect(try await api.send(.get, "/v1/usage?\(query)", key: portico.testKey).json["param"] as? String == param)
            }
        }
    }

    @Test func invoicesAreGeneratedOnceAndServedPerTenant() async throws {
        let portico = try await TestPortico.make()
        try await portico.setPlan("starter")
        let other = try await portico.seedOtherOrganization()
        // Usage in last month: the seeded organization made requests "then".
        let lastMonth = CivilTime.month(containing: CivilTime.month(containing: portico.clock.nowMilliseconds).start - 1)
        let hour = lastMonth.start + 5 * 3_600_000
        try await portico.store.appendRequestLogs(
            [],
            usage: [
                UsageIncrement(organizationId: portico.organizationID, livemode: true, hourStart: hour, metric: "requests", keyId: "key_a"): 101_500
            ],
            width: portico.runtime.partitionWidth
        )
        try await portico.run { (api: APIClient) async throws in
            let created = try await portico.runtime.billing.generateInvoices(monthStart: lastMonth.start)
            // Organizations created this month are not invoiced for last month.
            #expect(created.isEmpty)
            // Backdate the organizations so they existed last month.
            try await portico.sqliteStore.pool.write { db in
                try db.execute(sql: "UPDATE organizations SET created_at = ?", arguments: [lastMonth.start])
            }
            let first = try await portico.runtime.billing.generateInvoices(monthStart: lastMonth.start)
            #expect(first.count == 4)  // two organizations × two modes
            #expect(try await portico.runtime.billing.generateInvoices(monthStart: lastMonth.start).isEmpty)
            #expect(try await portico.runtime.billing.invoiceFinishedMonths().isEmpty)

            let list = try await api.send(.get, "/v1/invoices", key: portico.liveKey)
            #expect(list.list.count == 1)
            let invoice = try #require(list.list.first)
            #expect(invoice["object"] as? String == "invoice" && invoice["livemode"] as? Bool == true)
            #expect(invoice["usage_quantity"] as? Int == 101_500 && invoice["overage_quantity"] as? Int == 2)
            #expect(invoice["total"] as? Int == 4_900 + 100 && invoice["currency"] as? String == "usd")
            #expect((invoice["lines"] as? [[String: Any]])?.count == 2)
            let id = invoice["id"] as! String
            #expect(try await api.send(.get, "/v1/invoices/\(id)", key: portico.liveKey).json["id"] as? String == id)
            #expect(try await api.send(.get, "/v1/invoices/\(id)", key: portico.testKey).status == .notFound)
            #expect(try await api.send(.get, "/v1/invoices/\(id)", key: other.keys.liveSecret).status == .notFound)
            #expect(try await api.send(.get, "/v1/invoices", key: portico.testKey).list.first?["total"] as? Int == 4_900)
        }
    }

    @Test func reconciliationMatchesLogsAndReportsADifference() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<4 { _ = try await api.send(.get, "/v1/customers", key: portico.testKey) }
            _ = try await api.send(.get, "/v1/customers", key: "sk_test_bad")  // not metered: no tenant
            await portico.flushLogs()
            let month = portico.runtime.billing.currentMonthStart
            let clean = try await portico.runtime.billing.reconcile(monthStart: month)
            #expect(clean.count == 1 && clean[0].usage == 4 && clean[0].logged == 4 && clean[0].difference == 0)
            let partition = try await portico.store.requestLogPartitions(width: portico.runtime.partitionWidth)
                .first { $0.start <= portico.clock.nowMilliseconds && portico.clock.nowMilliseconds < $0.end }!
            try await portico.sqliteStore.pool.write { db in
                try db.execute(
                    sql: "DELETE FROM \(partition.name) WHERE id = (SELECT max(id) FROM \(partition.name) WHERE organization_id IS NOT NULL)"
                )
            }
            let broken = try await portico.runtime.billing.reconcile(monthStart: month)
            #expect(broken[0].difference == 1)
        }
    }
}
