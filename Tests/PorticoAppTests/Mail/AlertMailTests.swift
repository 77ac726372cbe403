import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Alert mails to an organization's owners and admins, written with the
/// event they are about: a disabled endpoint at once; exhausted deliveries
/// at once, then at most one digest per endpoint per hour; neither when the
/// organization turned them off (the events are published either way).
struct AlertMailTests {
    static let adminEmail = "admin@acme.test"
    static let developerEmail = "dev@acme.test"
    static let unconfirmedEmail = "unconfirmed@acme.test"

    /// An admin and a developer beside the seeded owner.
    static func addMembers(_ portico: TestPortico) async throws {
        for (email, role) in [(adminEmail, "admin"), (developerEmail, "developer"), (unconfirmedEmail, "admin")] {
            _ = try await portico.runtime.accounts.createUser(
                email: email,
                password: "a long enough password",
                organizationID: portico.organizationID,
                role: role,
                by: .cli
            )
        }
        // An admin whose address was never confirmed (someone may have signed up with another's).
        _ = try await BillingCLITests.query(portico.databasePath, "UPDATE users SET email_verified_at = NULL WHERE email = '\(unconfirmedEmail)'")
    }

    static func mails(_ portico: TestPortico, to address: String, kind: AlertKind) async throws -> [MailRecord] {
        try await portico.store.mails(status: nil, recipient: address, page: PageRequest(limit: 50)).items.filter { $0.kind == kind.rawValue }
    }

    /// Waits until `count` deliveries to `endpoint` are dead.
    static func dead(_ count: Int, _ api: APIClient, key: String, endpoint: String) async throws {
        _ = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint)&limit=100", key: key) { json in
            ((json["data"] as? [[String: Any]]) ?? []).filter { $0["status"] as? String == "dead" }.count >= count
        }
    }

    @Test func aDisabledEndpointIsMailedToOwnersAndAdminsOnly() async throws {
        let portico = try await TestPortico.make()
        try await Self.addMembers(portico)
        try await WebhookReceiver.with(.first(.init(status: .gone))) { receiver in
            try await portico.run { api in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url, events: ["order.*"])
                try await api.postEvent(key: key)
                _ = try await api.poll("/v1/webhook-endpoints/\(endpoint.id)", key: key) { $0["status"] as? String == "disabled" }

                for address in [portico.seed.ownerEmail, Self.adminEmail] {
                    let mails = try await Self.mails(portico, to: address, kind: .endpointDisabled)
                    #expect(mails.count == 1, "\(address)")
                    let mail = try #require(mails.first)
                    #expect(mail.recipients == address, "one mail each: no one sees the others' addresses")
                    #expect(mail.organizationId == portico.organizationID)
                    #expect(mail.subject == "Webhook endpoint disabled: \(receiver.url)")
                    let text = try portico.runtime.mail.content(of: mail).text
                    #expect(text.contains("410 Gone") && text.contains("/dashboard/webhooks/\(endpoint.id)"))
                }
                #expect(try await Self.mails(portico, to: Self.developerEmail, kind: .endpointDisabled).isEmpty)
                #expect(
                    try await Self.mails(portico, to: Self.unconfirmedEmail, kind: .endpointDisabled).isEmpty,
                    "unconfirmed addresses get no alerts"
                )
            }
        }
    }

    /// Waits until every delivery to `endpoint` has had `attempts` attempts; returns them.
    static func attempted(_ attempts: Int, _ api: APIClient, key: String, endpoint: String) async throws -> [[String: Any]] {
        let json = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint)&limit=100", key: key) { json in
            let deliveries = (json["data"] as? [[String: Any]]) ?? []
            return !deliveries.isEmpty && deliveries.allSatisfy { ($0["attempt_count"] as? Int ?? 0) >= attempts }
        }
        return (json["data"] as? [[String: Any]]) ?? []
    }

    @Test func aFlappingEndpointGetsOneMailThenAtMostOneDigestAnHour() async throws {
        let portico = try await TestPortico.make()
        // Only `advance` moves time: the schedule's retries come due when the test says so.
        portico.clock.freeze()
        let owner = portico.seed.ownerEmail
        try await WebhookReceiver.with(.always(.init(status: .internalServerError))) { receiver in
            try await portico.run { api in
                let key = portico.testKey
                let scope = TenantScope(organizationId: portico.organizationID, livemode: false)
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url, events: ["order.*"])
                for _ in 1...3 { try await api.postEvent(key: key) }
                // Through the whole retry schedule: the three run out of attempts together.
                for attempt in 1...7 {
                    let deliveries = try await Self.attempted(attempt, api, key: key, endpoint: endpoint.id)
                    var latest: Int64 = 0
                    for delivery in deliveries {
                        let id = try #require(delivery["id"] as? String)
                        let (view, _) = try #require(try await portico.store.delivery(id: id, scope: scope))
                        latest = max(latest, try #require(view.delivery.nextAttemptAt))
                    }
                    try await portico.advance(seconds: Double(max(latest - portico.clock.nowMilliseconds, 0)) / 1_000 + 0.5)
                }
                try await Self.dead(3, api, key: key, endpoint: endpoint.id)
                var mails = try await Self.mails(portico, to: owner, kind: .deliveriesExhausted)
                #expect(mails.count == 1, "the first at once, the other two held back")
                #expect(mails.first?.subject == "A webhook delivery to \(receiver.url) ran out of attempts")
                let first = try #require(mails.first)
                let text = try portico.runtime.mail.content(of: first).text
                #expect(text.contains("/dashboard/deliveries?endpoint=\(endpoint.id)"))
                #expect(try await portico.runtime.sendAlertDigests() == 0, "not within the hour")
                #expect(try await portico.store.nextAlertDigestDue() == portico.clock.nowMilliseconds + AlertKind.digestInterval)

                try await portico.advance(seconds: 3_601)
                #expect(try await portico.runtime.sendAlertDigests() == 1)
                mails = try await Self.mails(portico, to: owner, kind: .deliveriesExhausted)
                #expect(mails.count == 2)
                #expect(mails.first?.subject == "2 webhook deliveries to \(receiver.url) ran out of attempts", "the digest covers the two held back")
                #expect(try await portico.runtime.sendAlertDigests() == 0, "a digest goes once")
                #expect(try await portico.store.nextAlertDigestDue() == nil)
            }
        }
    }

    @Test func alertsTurnedOffAreNotMailedButStillPublished() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with(.first(.init(status: .gone))) { receiver in
            try await portico.run { api in
                let owner = try await DashboardPagesTests.signedInOwner(portico, api)
                let settings = try await owner.get("/dashboard/settings")
                #expect(settings.text.contains("value=\"webhook_endpoint.disabled\" checked"))
                // Every alert but the disabled endpoint's stays on.
                let kept = AlertKind.allCases.filter { $0 != .endpointDisabled }.map { ("mail", $0.rawValue) }
                let saved = try await owner.post(
                    "/dashboard/settings/notifications",
                    [("csrf_token", try await owner.csrfToken("/dashboard/settings"))] + kept
                )
                #expect(saved.status == .seeOther)
                let organization = try #require(try await portico.store.organization(id: portico.organizationID))
                #expect(organization.notifications == NotificationSettings(off: [.endpointDisabled]))
                let bogus = try await owner.post(
                    "/dashboard/settings/notifications",
                    [("csrf_token", try await owner.csrfToken("/dashboard/settings")), ("mail", "everything")]
                )
                #expect(bogus.status == .badRequest)

                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url, events: ["order.*"])
                try await api.postEvent(key: key)
                _ = try await api.poll("/v1/webhook-endpoints/\(endpoint.id)", key: key) { $0["status"] as? String == "disabled" }
                #expect(try await api.send(.get, "/v1/events?type=webhook_endpoint.disabled", key: key).list.count == 1)
                #expect(try await Self.mails(portico, to: portico.seed.ownerEmail, kind: .endpointDisabled).isEmpty)
            }
        }
    }

    @Test func settingsRoundTripAndUnknownKindsAreIgnored() {
        #expect(NotificationSettings(stored: nil) == NotificationSettings())
        #expect(NotificationSettings().stored == nil)
        let off = NotificationSettings(off: [.deliveriesExhausted])
        #expect(NotificationSettings(stored: off.stored) == off)
        #expect(NotificationSettings(stored: #"["webhook_delivery.exhausted","no.such.kind"]"#) == off)
        #expect(NotificationSettings(stored: "not json").mails(.endpointDisabled))
    }

    @Test func alertMailsEscapeValues() {
        let words = MailContentTemplate.endpointDisabled(
            organization: "<script>alert(1)</script>",
            url: "https://hooks.example/\"><b>x</b>",
            livemode: true,
            reason: "failing",
            link: "https://p.example/dashboard/webhooks/we_1",
            settings: "https://p.example/dashboard/settings"
        )
        #expect(!words.html.contains("<script>") && !words.html.contains("<b>x</b>"))
        #expect(words.text.contains("live-mode"))
    }
}

/// `api_key.expiring`: a key that expires within 7 days is announced once,
/// by event and by mail; revoked and rolled keys are not.
struct KeyExpiryAlertTests {
    @Test func keysExpiringWithinAWeekAreAnnouncedOnce() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        try await WebhookReceiver.with { watcher in
            try await portico.run { api in
                let key = portico.testKey
                _ = try await api.createEndpoint(key: key, url: watcher.url, events: ["api_key.expiring"])
                let now = portico.clock.nowMilliseconds
                func create(_ label: String, days: Int64) async throws -> String {
                    let expires = RFC3339.string(milliseconds: now + days * 86_400_000)
                    let made = try await api.send(
                        .post,
                        "/v1/keys",
                        key: key,
                        json: #"{"label":"\#(label)","scopes":["customers:read"],"expires_at":"\#(expires)"}"#
                    )
                    #expect(made.status == .ok, "\(made.text)")
                    return try #require(made.json["id"] as? String)
                }
                let soon = try await create("soon", days: 3)
                _ = try await create("later", days: 30)
                let revoked = try await create("revoked", days: 2)
                #expect(try await api.send(.post, "/v1/keys/\(revoked)/revoke", key: key).status == .ok)

                #expect(try await portico.runtime.announceExpiringKeys() == 1)
                let mails = try await AlertMailTests.mails(portico, to: portico.seed.ownerEmail, kind: .keyExpiring)
                #expect(mails.count == 1)
                let mail = try #require(mails.first)
                #expect(mail.subject.hasPrefix("An API key of Acme expires on "))
                let text = try portico.runtime.mail.content(of: mail).text
                #expect(text.contains("test-mode API key soon (") && text.contains("/dashboard/keys"))
                let notice = try #require(try await watcher.waitFor(1).first)
                #expect(notice.type == "api_key.expiring")
                let object = (notice.json["data"] as? [String: Any])?["object"] as? [String: Any]
                #expect(object?["id"] as? String == soon)
                #expect(object?["secret"] == nil, "never the secret")
                #expect(try await portico.runtime.announceExpiringKeys() == 0, "once per key")

                // Three weeks on, the 30-day key is within its week; the expired and revoked ones are not announced.
                portico.clock.advance(by: 24 * 86_400)
                #expect(try await portico.runtime.announceExpiringKeys() == 1)
                #expect(try await AlertMailTests.mails(portico, to: portico.seed.ownerEmail, kind: .keyExpiring).count == 2)
                // Nobody may forge one.
                let forged = try await api.send(.post, "/v1/events", key: key, json: #"{"type":"api_key.expiring","data":{}}"#)
                #expect(forged.status == .badRequest)
            }
        }
    }
}

/// `usage.threshold_reached`: usage reaching 80 % and 100 % of a quota is
/// announced once per threshold per period, by event and by mail.
struct UsageThresholdAlertTests {
    @Test func eightyAndOneHundredPercentAreAnnouncedOncePerPeriod() async throws {
        let portico = try await TestPortico.make { $0.plans["enterprise"]?.test.monthlyQuota = 10 }
        portico.clock.freeze()
        let scope = TenantScope(organizationId: portico.organizationID, livemode: false)
        let month = CivilTime.month(containing: portico.clock.nowMilliseconds)
        try await WebhookReceiver.with { watcher in
            try await portico.run { api in
                let key = portico.testKey
                _ = try await api.createEndpoint(key: key, url: watcher.url, events: ["usage.*"])
                @Sendable func used() async throws -> Int64 {
                    await portico.flushLogs()
                    return try await portico.store.usageTotal(scope: scope, metric: UsageMetric.requests, from: month.start, until: month.end)
                }
                func mails() async throws -> [MailRecord] {
                    try await AlertMailTests.mails(portico, to: portico.seed.ownerEmail, kind: .usageThreshold)
                }
                while try await used() < 7 { _ = try await api.send(.get, "/v1/customers", key: key) }
                #expect(try await mails().isEmpty)
                _ = try await api.send(.get, "/v1/customers", key: key)
                #expect(try await used() == 8)
                var sent = try await mails()
                #expect(sent.count == 1)
                #expect(sent.first?.subject == "Acme has used 80 % of its test-mode requests quota")
                _ = try await api.send(.get, "/v1/customers", key: key)
                #expect(try await used() == 9)
                #expect(try await mails().count == 1, "80 % once")
                _ = try await api.send(.get, "/v1/customers", key: key)
                #expect(try await used() == 10)
                sent = try await mails()
                #expect(sent.count == 2)
                let texts = try sent.map { try portico.runtime.mail.content(of: $0).text }
                #expect(texts.contains { $0.contains("has used 10 of its 10 requests this month in test mode. Requests past the quota are refused") })
                #expect(Set(sent.map(\.subject)).contains("Acme has used 100 % of its test-mode requests quota"))

                let events = try await watcher.waitFor(2).filter { $0.type == "usage.threshold_reached" }
                let objects = events.compactMap { ($0.json["data"] as? [String: Any])?["object"] as? [String: Any] }
                #expect(objects.compactMap { $0["threshold"] as? Int }.sorted() == [80, 100])
                #expect(
                    objects.allSatisfy { $0["metric"] as? String == "requests" && $0["quota"] as? Int == 10 && $0["period"] as? String == "month" }
                )

                let alerted = try await BillingCLITests.query(
                    portico.databasePath,
                    "SELECT alerted FROM usage_periods WHERE organization_id = '\(scope.organizationId)' AND livemode = 0 AND period = 'month'"
                )
                #expect(alerted == ["100"])
            }
        }
    }
}
