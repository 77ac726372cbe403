import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Usage chart, invoices and settings pages against the real server.
struct DashboardBillingPagesTests {
    @Test func usageIsChartedFromTheSameBucketsTheAPIReads() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            for _ in 0..<3 { _ = try await api.send(.get, "/v1/customers", key: portico.testKey) }
            await portico.flushLogs()
            let now = portico.clock.nowMilliseconds
            let hour = now - now % 3_600_000
            let inHour = try await portico.store.usageTotal(
                scope: portico.testScope,
                metric: UsageMetric.requests,
                from: hour,
                until: hour + 3_600_000
            )
            #expect(inHour >= 3)

            let page = try await owner.get("/dashboard/usage?range=24h")
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg class=\"chart\"") && page.text.components(separatedBy: "<rect class=\"bar\"").count == 25)
            let label = String(format: "%02d:00", CivilTime.components(milliseconds: hour).hour)
            #expect(page.text.contains("<title>\(label): \(inHour)</title>"), "the current hour's bar carries the stored total")
            #expect(page.text.contains("<tr><td>\(label)</td><td>\(inHour)</td></tr>"), "the same number is in the table")

            // Monthly view draws 12 bars; an unknown range falls back to 30 days.
            #expect(try await owner.get("/dashboard/usage?range=12m").text.components(separatedBy: "<rect class=\"bar\"").count == 13)
            #expect(try await owner.get("/dashboard/usage?range=bogus").text.components(separatedBy: "<rect class=\"bar\"").count == 31)
        }
    }

    @Test func invoicesAreListedWithTheirLinesAndStayInTheirTenant() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            try await portico.setPlan("starter")
            let other = try await portico.seedOtherOrganization()
            let created = try await portico.runtime.billing.generateInvoices(monthStart: portico.runtime.billing.currentMonthStart)
            let mine = try #require(created.first { $0.organizationId == portico.organizationID && !$0.livemode })
            let foreign = try #require(created.first { $0.organizationId == other.organizationID && !$0.livemode })

            let list = try await owner.get("/dashboard/invoices")
            #expect(list.text.contains("/dashboard/invoices/\(mine.id)") && !list.text.contains(foreign.id))
            let detail = try await owner.get("/dashboard/invoices/\(mine.id)")
            #expect(detail.status == .ok && detail.text.contains(Money.format(mine.total, mine.currency)))
            #expect(detail.text.contains("Base fee (starter)"))
            #expect(try await owner.get("/dashboard/invoices/\(foreign.id)").status == .notFound)
        }
    }

    @Test func settingsChangePlanAndBodyCaptureByRole() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let admin = try await DashboardPagesTests.invite("admin@acme.test", as: "admin", owner: owner, portico: portico)
            let viewer = try await DashboardPagesTests.invite("viewer@acme.test", as: "viewer", owner: owner, portico: portico)
            let organization = { try #require(try await portico.store.organization(id: portico.organizationID)) }

            // An admin turns body capture on, but cannot change the plan.
            let adminToken = try await admin.csrfToken("/dashboard/settings")
            #expect(
                try await admin.post("/dashboard/settings/body-capture", [("csrf_token", adminToken), ("body_capture", "on")]).status == .seeOther
            )
            #expect(try await organization().bodyCapture)
            let planBefore = try await organization().plan
            #expect(try await admin.post("/dashboard/settings/plan", [("csrf_token", adminToken), ("plan", "growth")]).status == .forbidden)
            #expect(try await organization().plan == planBefore)

            // A captured body shows on the log page (the setting reaches the request path at once).
            let made = try await api.send(
                .post,
                "/v1/customers",
                key: portico.testKey,
                json: #"{"name":"Captured","metadata":{"password":"hunter2"}}"#
            )
            await portico.flushLogs()
            let requestID = try #require(made.headers[HTTPField.Name("Request-Id")!])
            let log = try await owner.get("/dashboard/logs/\(requestID)")
            #expect(log.text.contains("Captured") && !log.text.contains("hunter2"))

            // The owner changes the plan; an unknown plan changes nothing.
            let ownerToken = try await owner.csrfToken("/dashboard/settings")
            #expect(try await owner.post("/dashboard/settings/plan", [("csrf_token", ownerToken), ("plan", "growth")]).status == .seeOther)
            #expect(try await organization().plan == "growth")
            #expect(try await owner.post("/dashboard/settings/plan", [("csrf_token", ownerToken), ("plan", "platinum")]).status == .badRequest)
            #expect(try await organization().plan == "growth")
            #expect(try await owner.get("/dashboard/settings").text.contains("Growth (current)"))

            // A viewer sees the settings but no form, and a hand-made post is refused.
            let page = try await viewer.get("/dashboard/settings")
            #expect(page.status == .ok && !page.text.contains("Turn body capture") && !page.text.contains("Change plan"))
            let viewerToken = try await viewer.csrfToken()
            #expect(
                try await viewer.post("/dashboard/settings/body-capture", [("csrf_token", viewerToken), ("body_capture", "off")]).status == .forbidden
            )
            #expect(try await organization().bodyCapture)

            // Both changes are in the audit log.
            let audit = try await portico.store.auditEntries(targetId: portico.organizationID)
            #expect(audit.filter { $0.action == "organization.updated" }.count == 2)
        }
    }

    @Test func moneyAndChartScalesRenderAsPeopleExpect() {
        #expect(Money.format(4_900, "usd") == "49.00 USD")
        #expect(Money.format(19_905, "EUR") == "199.05 EUR")
        #expect(Money.format(500, "JPY") == "500 JPY")
        #expect(Money.format(-5, "USD") == "-0.05 USD")
        #expect(
            BarChart.niceCeiling(0) == 1 && BarChart.niceCeiling(7) == 10 && BarChart.niceCeiling(120) == 200 && BarChart.niceCeiling(5_000) == 5_000
        )
        #expect(BarChart.short(1_500) == "1.5k" && BarChart.short(2_000_000) == "2M" && BarChart.short(999) == "999")
    }
}
