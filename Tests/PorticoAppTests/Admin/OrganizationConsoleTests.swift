import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// The operator console past sign-in: one organization's page and what staff
/// do to it (plan, own limits, suspension, deletion), the search box, the
/// request timeline (also in a member's dashboard), platform health and the
/// staff audit page. Every view of an organization's data is audited.
struct OrganizationConsoleTests {
    /// A verified staff session (enrolled at its first sign-in) and its CSRF token.
    static func signedInStaff(_ portico: TestPortico, _ api: APIClient) async throws -> (browser: Browser, csrf: String, staffId: String) {
        let staff = try await portico.runtime.staff.create(
            email: "support-\(UUID().uuidString.prefix(6))@portico.test",
            password: ConsoleSignInTests.password,
            by: .cli
        )
        let browser = Browser(api.client)
        try await ConsoleSignInTests.signIn(browser, staff.email, ConsoleSignInTests.password)
        let enroll = try await browser.get("/admin/enroll")
        let totp = try ConsoleSignInTests.enrollmentSecret(enroll.text)
        let csrf = try #require(Browser.field("csrf_token", in: enroll.text))
        let enrolled = try await browser.post(
            "/admin/enroll",
            [("csrf_token", csrf), ("secret", Browser.field("secret", in: enroll.text) ?? ""), ("code", ConsoleSignInTests.code(totp, portico))]
        )
        try #require(enrolled.status == .ok)
        return (browser, csrf, staff.id)
    }

    @Test func theOrganizationPageShowsItsDataWithoutSecretsAndEveryViewIsAudited() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            #expect(try await api.send(.post, "/v1/customers", key: portico.liveKey, json: #"{"name":"Ada"}"#).status == .ok)
            _ = try await api.createEndpoint(key: portico.testKey, url: "http://127.0.0.1:9/hooks")
            await portico.flushLogs()
            let (staff, _, staffId) = try await Self.signedInStaff(portico, api)

            let page = try await staff.get("/admin/organizations/\(portico.organizationID)")
            #expect(page.status == .ok)
            #expect(page.text.contains(portico.seed.ownerEmail))
            #expect(page.text.contains("http://127.0.0.1:9/hooks"))
            #expect(page.text.contains("<svg"))
            let keys = try await portico.store.apiKeys(organizationId: portico.organizationID)
            #expect(!keys.isEmpty && keys.allSatisfy { page.text.contains($0.id) })
            for secret in [portico.testKey, portico.liveKey] { #expect(!page.text.contains(secret)) }
            #expect(!page.text.contains("<script"))

            // The view is on the organization's own audit log, without the staff member's id or address.
            let viewed = try await portico.store.auditEntries(organizationId: portico.organizationID, page: PageRequest(limit: 10)).items
                .first { $0.action == "staff.viewed" }
            #expect(viewed?.actorId == staffId)
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let audit = try await owner.get("/dashboard/audit")
            #expect(audit.text.contains("staff.viewed") && audit.text.contains("Portico staff"))
            #expect(!audit.text.contains(staffId))
            // …and on the console's staff audit page, filtered to that staff member.
            let staffAudit = try await staff.get("/admin/audit?staff=\(staffId)")
            #expect(staffAudit.status == .ok)
            #expect(staffAudit.text.contains("staff.viewed") && staffAudit.text.contains(portico.organizationID))
            // A tenant session never opens it.
            #expect(try await owner.get("/admin/organizations/\(portico.organizationID)").status != .ok)
            #expect(try await staff.get("/admin/organizations/org_nothing").status == .notFound)
        }
    }

    @Test func planAndOwnLimitsAreSetFromTheConsoleAndBadFiguresChangeNothing() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        try await portico.run { api in
            let (staff, csrf, _) = try await Self.signedInStaff(portico, api)
            let path = "/admin/organizations/\(portico.organizationID)"
            let before = try await portico.store.organization(id: portico.organizationID)?.plan
            #expect(before != "starter")

            let unknown = try await staff.post("\(path)/plan", [("csrf_token", csrf), ("plan", "platinum")])
            #expect(unknown.status == .unprocessableContent)
            #expect(try await portico.store.organization(id: portico.organizationID)?.plan == before)
            let changed = try await staff.post("\(path)/plan", [("csrf_token", csrf), ("plan", "starter")])
            #expect(changed.status == .seeOther)
            #expect(try await portico.store.organization(id: portico.organizationID)?.plan == "starter")
            #expect(try await staff.post("\(path)/plan", [("csrf_token", "forged"), ("plan", "free")]).status == .forbidden)
            #expect(try await portico.store.organization(id: portico.organizationID)?.plan == "starter")

            for bad in ["abc", "0", "-3", "2000000000"] {
                let refused = try await staff.post("\(path)/limits", [("csrf_token", csrf), ("per_second", bad)])
                #expect(refused.status == .unprocessableContent, "\(bad)")
            }
            #expect(try await portico.store.organization(id: portico.organizationID)?.customLimits == nil)

            // Two requests a second for each live key: the third at the same instant is refused.
            let saved = try await staff.post("\(path)/limits", [("csrf_token", csrf), ("per_second", "2"), ("monthly_quota", "5,000")])
            #expect(saved.status == .seeOther)
            let organization = try #require(try await portico.store.organization(id: portico.organizationID))
            #expect(organization.limitOverrides == LimitOverrides(perSecond: 2, monthlyQuota: 5_000))
            #expect(portico.runtime.config.plan(for: organization)?.live.monthlyQuota == 5_000)
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<3 { statuses.append(try await api.send(.get, "/v1/customers", key: portico.liveKey).status) }
            #expect(statuses == [.ok, .ok, .tooManyRequests])
            // Test mode keeps the plan's limits.
            for _ in 0..<3 { #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok) }

            // Emptied, the plan's figures apply again.
            #expect(try await staff.post("\(path)/limits", [("csrf_token", csrf), ("per_second", "")]).status == .seeOther)
            #expect(try await portico.store.organization(id: portico.organizationID)?.customLimits == nil)
            let actions = try await portico.auditActions(about: portico.organizationID)
            #expect(actions.contains("organization.plan_changed") && actions.filter { $0 == "organization.limits_changed" }.count == 2)
        }
    }

    @Test func suspensionFromTheConsolePausesDeliveriesAndMakesTheDashboardReadOnly() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { receiver in
            try await portico.run { api in
                let endpoint = try await api.createEndpoint(key: portico.testKey, url: receiver.url)
                let (staff, csrf, _) = try await Self.signedInStaff(portico, api)
                let owner = try await DashboardPagesTests.signedInOwner(portico, api)
                let ownerToken = try await owner.csrfToken("/dashboard/keys")
                let path = "/admin/organizations/\(portico.organizationID)"
                #expect(try await staff.post("\(path)/suspend", [("csrf_token", csrf)]).status == .seeOther)

                // Keys are refused; the dashboard shows but changes nothing.
                #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).json["code"] as? String == "organization_suspended")
                let keysBefore = try await portico.store.apiKeys(organizationId: portico.organizationID).count
                let refused = try await owner.post("/dashboard/keys", [("csrf_token", ownerToken), ("kind", "secret"), ("label", "new")])
                #expect(refused.status == .forbidden)
                #expect(try await portico.store.apiKeys(organizationId: portico.organizationID).count == keysBefore)
                let overview = try await owner.get("/dashboard")
                #expect(overview.status == .ok && overview.text.contains("suspended"))

                // The team's backend still publishes for it (a platform key); the delivery waits.
                let platform = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
                let event = try await api.send(
                    .post,
                    "/v1/events",
                    key: platform,
                    json: #"{"type":"order.created","data":{}}"#,
                    headers: [.porticoOrganization: portico.organizationID]
                )
                #expect(event.status == .ok)
                let due = try await portico.store.claimDueWork(now: Int64.max / 2, excludingEndpoints: [], perEndpoint: 10) { $0.map(\.id) }
                #expect(due.jobs.allSatisfy { $0.delivery.endpointId != endpoint.id })

                #expect(try await staff.post("\(path)/reactivate", [("csrf_token", csrf)]).status == .seeOther)
                let received = try await receiver.waitFor(1)
                #expect(received.first?.body.contains("order.created") == true)
                #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok)
            }
        }
    }

    @Test func deletionNeedsTheNameAndTheAuditLogKeepsTheRecord() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let created = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"Gone"}"#)
            let customer = try #require(created.json["id"] as? String)
            let (staff, csrf, staffId) = try await Self.signedInStaff(portico, api)
            let path = "/admin/organizations/\(portico.organizationID)"
            #expect(try await staff.get(path).status == .ok)

            let wrong = try await staff.post("\(path)/delete", [("csrf_token", csrf), ("confirm_name", "acme")])
            #expect(wrong.status == .unprocessableContent)
            #expect(try await portico.store.organization(id: portico.organizationID) != nil)

            let deleted = try await staff.post("\(path)/delete", [("csrf_token", csrf), ("confirm_name", "Acme")])
            #expect(deleted.status == .seeOther)
            #expect(try await portico.store.organization(id: portico.organizationID) == nil)
            #expect(try await portico.store.customer(id: customer, scope: portico.testScope) == nil)
            #expect(try await portico.store.user(email: portico.seed.ownerEmail) == nil)
            #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .unauthorized)

            let kept = try await portico.store.staffAuditEntries(staffId: staffId, page: PageRequest(limit: 50)).items
            let record = try #require(kept.first { $0.action == "organization.deleted" })
            #expect(record.organizationId == nil && record.targetId == portico.organizationID && record.details.contains("Acme"))
            // The earlier view survives, detached, naming the organization.
            #expect(kept.contains { $0.action == "staff.viewed" && $0.organizationId == nil && $0.details.contains(portico.organizationID) })
            // Requests it made before are still written by the log writer.
            await portico.flushLogs()
            #expect(try await staff.get("/admin/audit").text.contains("organization.deleted"))
        }
    }

    @Test func findOpensWhatAnIdOrEmailNames() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let created = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"Found"}"#)
            let customer = try #require(created.json["id"] as? String)
            let request = try #require(created.requestID)
            let event = try #require(
                try await portico.store.events(scope: portico.testScope, filter: EventFilter(), page: PageRequest(limit: 1)).items.first
            )
            let key = try #require(try await portico.store.apiKeys(organizationId: portico.organizationID).first)
            let (staff, _, _) = try await Self.signedInStaff(portico, api)
            let organizationPage = "/admin/organizations/\(portico.organizationID)"

            for (query, location) in [
                (request, "/admin/requests/\(request)"),
                (event.id, "/admin/requests/\(request)"),
                (customer, organizationPage),
                (key.id, organizationPage),
                (portico.organizationID, organizationPage),
                (portico.seed.ownerEmail, organizationPage),
                ("acm", "/admin?q=acm"),
            ] {
                let found = try await staff.get("/admin/find?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                #expect(found.status == .seeOther, "\(query)")
                #expect(found.headers[.location] == location, "\(query)")
            }
            #expect(try await staff.get("/admin/find?q=cus_doesnotexist").status == .notFound)
        }
    }

    @Test func aRequestTimelineShowsItsLogEventsDeliveriesAndAuditForStaffAndItsOwnMembersOnly() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { receiver in
            try await portico.run { api in
                _ = try await api.createEndpoint(key: portico.testKey, url: receiver.url, events: ["customer.*"])
                let created = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"Traced"}"#)
                let request = try #require(created.requestID)
                _ = try await receiver.waitFor(1)
                let event = try #require(
                    try await portico.store.events(scope: portico.testScope, filter: EventFilter(), page: PageRequest(limit: 1)).items.first
                )
                try await api.poll("/v1/webhook-deliveries", key: portico.testKey) { json in
                    (json["data"] as? [[String: Any]])?.first?["status"] as? String == "succeeded"
                }
                await portico.flushLogs()
                let deliveries = try await api.send(.get, "/v1/webhook-deliveries", key: portico.testKey).list
                let deliveryId = try #require(deliveries.first?["id"] as? String)

                let (staff, _, _) = try await Self.signedInStaff(portico, api)
                let timeline = try await staff.get("/admin/requests/\(request)")
                #expect(timeline.status == .ok)
                for part in ["/v1/customers", event.id, deliveryId, "HTTP 200", portico.organizationID] {
                    #expect(timeline.text.contains(part), "\(part)")
                }
                let viewed = try await portico.auditActions(about: request)
                #expect(viewed == ["staff.viewed"])

                let owner = try await DashboardPagesTests.signedInOwner(portico, api)
                try await owner.post(
                    "/dashboard/mode",
                    [("csrf_token", try await owner.csrfToken()), ("livemode", "0"), ("return_to", "/dashboard")]
                )
                let own = try await owner.get("/dashboard/logs/\(request)")
                #expect(own.status == .ok)
                #expect(own.text.contains(event.id) && own.text.contains(deliveryId))
                // Another organization's member finds nothing there.
                let other = try await portico.seedOtherOrganization()
                let stranger = Browser(api.client)
                try await stranger.signIn(other.ownerEmail, other.ownerPassword)
                try await stranger.post(
                    "/dashboard/mode",
                    [("csrf_token", try await stranger.csrfToken()), ("livemode", "0"), ("return_to", "/dashboard")]
                )
                #expect(try await stranger.get("/dashboard/logs/\(request)").status == .notFound)
            }
        }
    }

    @Test func platformHealthShowsRoutesOrganizationsBacklogAndRevenue() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            for _ in 0..<3 { #expect(try await api.send(.get, "/v1/customers", key: portico.liveKey).status == .ok) }
            await portico.flushLogs()
            let month = CivilTime.month(containing: portico.clock.nowMilliseconds)
            let invoices = try await portico.runtime.billing.generateInvoices(monthStart: month.start)
            #expect(!invoices.isEmpty)
            let (staff, _, _) = try await Self.signedInStaff(portico, api)

            let health = try await staff.get("/admin/health")
            #expect(health.status == .ok)
            #expect(health.text.contains("GET /v1/customers"))
            #expect(health.text.contains("Acme"))
            #expect(health.text.contains("Deliveries owed"))
            #expect(health.text.contains(CivilTime.monthLabel(month.start)))
            let lines = HealthPage.lines(try await portico.store.routeStats(from: month.start, until: month.end))
            #expect(lines.first { $0.route == "GET /v1/customers" }?.requests == 3)
            #expect(try await portico.store.busiestOrganizations(monthStart: month.start, limit: 5).first?.requests == 3)
            // Revenue is added to as live invoices are written, once: a second run adds nothing.
            let revenue = try await portico.store.revenue(since: month.start)
            #expect(revenue.map(\.invoices).reduce(0, +) == invoices.filter(\.livemode).count)
            #expect(try await portico.runtime.billing.generateInvoices(monthStart: month.start).isEmpty)
            #expect(try await portico.store.revenue(since: month.start) == revenue)
            #expect(try await portico.store.erroringOrganizations(from: month.start, until: month.end, limit: 5).isEmpty)
        }
    }
}
