import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// The dashboard's webhook, delivery and event pages against the real server and a real receiver.
struct DashboardWebhooksTests {
    /// The endpoint id a create form redirected to.
    static func createdEndpoint(_ response: TestResponse) -> String? {
        guard response.status == .seeOther, let location = response.headers[.location],
            let range = location.range(of: "/dashboard/webhooks/")
        else { return nil }
        return String(location[range.upperBound...].prefix { $0 != "?" })
    }

    @Test func anEndpointIsCreatedRevealedTestedAndItsDeliveryRetried() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) in
                let owner = try await DashboardPagesTests.signedInOwner(portico, api)
                let token = try await owner.csrfToken("/dashboard/webhooks")

                // Bad input: a message on the form and nothing created.
                let refused = try await owner.post(
                    "/dashboard/webhooks",
                    [("csrf_token", token), ("url", "ftp://example.com/x"), ("enabled_events", "*")]
                )
                #expect(refused.status == .ok && refused.text.contains("role=\"alert\""))
                #expect(try await portico.store.endpointCount(scope: portico.testScope) == 0)

                let created = try await owner.post(
                    "/dashboard/webhooks",
                    [
                        ("csrf_token", token), ("url", receiver.url), ("enabled_events", "customer.*\nportico.test"),
                        ("description", "<b>orders</b>"),
                    ]
                )
                let id = try #require(Self.createdEndpoint(created))
                let stored = try #require(try await portico.store.endpoint(id: id, scope: portico.testScope))
                #expect(StoredJSON.stringArray(stored.enabledEvents) == ["customer.*", "portico.test"])

                // The page escapes the description and shows no secret until asked.
                let detail = try await owner.get("/dashboard/webhooks/\(id)")
                #expect(detail.text.contains("&lt;b&gt;orders&lt;/b&gt;") && !detail.text.contains("<b>orders"))
                let plaintext = try portico.runtime.webhookEndpoints.signingSecret(of: stored)
                #expect(!detail.text.contains(plaintext) && detail.text.contains("Reveal signing secret"))
                let revealed = try await owner.post("/dashboard/webhooks/\(id)/secret", [("csrf_token", token)])
                #expect(revealed.status == .ok && revealed.text.contains("value=\"\(plaintext)\""))

                // "Send test event" reaches the receiver, signed with the revealed secret.
                let tested = try await owner.post("/dashboard/webhooks/\(id)/test", [("csrf_token", token)])
                #expect(tested.status == .seeOther)
                let first = try #require(try await receiver.waitFor(1).first)
                #expect(first.type == "portico.test")
                #expect(first.isSigned(with: plaintext))

                // The delivery and its attempt are listed once recorded.
                let delivery = try await Self.waitForDelivery(portico, endpoint: id, status: .succeeded)
                let list = try await owner.get("/dashboard/deliveries?endpoint=\(id)")
                #expect(list.text.contains("/dashboard/deliveries/\(delivery.id)") && list.text.contains("Succeeded"))
                let page = try await owner.get("/dashboard/deliveries/\(delivery.id)")
                #expect(page.status == .ok && page.text.contains("<td>200</td>") && page.text.contains("Retry now"))

                // Retry sends it once more.
                let retried = try await owner.post("/dashboard/deliveries/\(delivery.id)/retry", [("csrf_token", token)])
                #expect(retried.status == .ok && retried.text.contains("Retry queued"))
                let both = try await receiver.waitFor(2)
                #expect(both[1].webhookID == first.webhookID)

                // The event page shows the data and links the delivery.
                let events = try await owner.get("/dashboard/events?type=portico.*")
                #expect(events.text.contains("/dashboard/events/\(delivery.eventId)"))
                let event = try await owner.get("/dashboard/events/\(delivery.eventId)")
                #expect(event.text.contains("portico.test") && event.text.contains("/dashboard/deliveries/\(delivery.id)"))

                // Rotation without overlap replaces the secret; disabling through the edit form sticks.
                let rotated = try await owner.post("/dashboard/webhooks/\(id)/rotate-secret", [("csrf_token", token), ("overlap_hours", "0")])
                #expect(rotated.status == .seeOther)
                let after = try #require(try await portico.store.endpoint(id: id, scope: portico.testScope))
                #expect(after.secret != stored.secret && after.previousSecret == nil)
                let saved = try await owner.post(
                    "/dashboard/webhooks/\(id)",
                    [
                        ("csrf_token", token), ("url", receiver.url), ("enabled_events", "*"), ("status", "disabled"),
                    ]
                )
                #expect(saved.status == .seeOther)
                let disabled = try #require(try await portico.store.endpoint(id: id, scope: portico.testScope))
                #expect(disabled.status == .disabled && StoredJSON.stringArray(disabled.enabledEvents) == ["*"])
                // A disabled endpoint gets no test: the form says why.
                let noTest = try await owner.post("/dashboard/webhooks/\(id)/test", [("csrf_token", token)])
                #expect(noTest.status == .ok && noTest.text.contains("disabled"))
                #expect(receiver.received.count == 2)
            }
        }
    }

    @Test func rolesAndTenantsBoundTheWebhookPages() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let viewer = try await DashboardPagesTests.invite("viewer@acme.test", as: "viewer", owner: owner, portico: portico)
            let developer = try await DashboardPagesTests.invite("dev@acme.test", as: "developer", owner: owner, portico: portico)
            let endpoint = try await api.createEndpoint(key: portico.testKey, url: "http://127.0.0.1:9/hooks")

            // A viewer reads the endpoint but cannot reveal its secret, even by posting the form by hand.
            let page = try await viewer.get("/dashboard/webhooks/\(endpoint.id)")
            #expect(page.status == .ok && !page.text.contains("Reveal signing secret") && !page.text.contains("Send test event"))
            let reveal = try await viewer.post("/dashboard/webhooks/\(endpoint.id)/secret", [("csrf_token", try await viewer.csrfToken())])
            #expect(reveal.status == .forbidden && !reveal.text.contains(endpoint.secret))
            let delete = try await viewer.post("/dashboard/webhooks/\(endpoint.id)/delete", [("csrf_token", try await viewer.csrfToken())])
            #expect(delete.status == .forbidden)

            // A developer may reveal test secrets but not add live endpoints.
            let devToken = try await developer.csrfToken()
            let devReveal = try await developer.post("/dashboard/webhooks/\(endpoint.id)/secret", [("csrf_token", devToken)])
            #expect(devReveal.status == .ok && devReveal.text.contains(endpoint.secret))
            try await developer.post("/dashboard/mode", [("csrf_token", devToken), ("livemode", "1"), ("return_to", "/dashboard/webhooks")])
            let live = try await developer.post(
                "/dashboard/webhooks",
                [("csrf_token", devToken), ("url", "http://127.0.0.1:9/x"), ("enabled_events", "*")]
            )
            #expect(live.status == .forbidden)
            #expect(try await portico.store.endpointCount(scope: TenantScope(organizationId: portico.organizationID, livemode: true)) == 0)
            // The test endpoint is not visible from live mode.
            #expect(try await developer.get("/dashboard/webhooks/\(endpoint.id)").status == .notFound)

            // Another organization's endpoint, event and delivery are 404s.
            let other = try await portico.seedOtherOrganization()
            let foreign = try await api.createEndpoint(key: other.keys.testSecret, url: "http://127.0.0.1:9/other")
            let eventID = try await api.postEvent(key: other.keys.testSecret)
            #expect(try await owner.get("/dashboard/webhooks/\(foreign.id)").status == .notFound)
            #expect(try await owner.get("/dashboard/events/\(eventID)").status == .notFound)
            let foreignToken = try await owner.csrfToken()
            #expect(try await owner.post("/dashboard/webhooks/\(foreign.id)/secret", [("csrf_token", foreignToken)]).status == .notFound)
            let deliveries = try await api.deliveries(key: other.keys.testSecret, endpoint: foreign.id)
            let foreignDelivery = try #require(deliveries.first?["id"] as? String)
            #expect(try await owner.get("/dashboard/deliveries/\(foreignDelivery)").status == .notFound)
            #expect(try await owner.post("/dashboard/deliveries/\(foreignDelivery)/retry", [("csrf_token", foreignToken)]).status == .notFound)

            // The owner deletes the endpoint.
            let deleted = try await owner.post("/dashboard/webhooks/\(endpoint.id)/delete", [("csrf_token", foreignToken)])
            #expect(deleted.status == .ok && deleted.text.contains("was deleted"))
            #expect(try await portico.store.endpoint(id: endpoint.id, scope: portico.testScope) == nil)
        }
    }

    /// Waits (real time) until the endpoint's newest delivery has `status`.
    static func waitForDelivery(_ portico: TestPortico, endpoint: String, status: WebhookDeliveryRecord.Status) async throws -> WebhookDeliveryRecord
    {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let page = try await portico.store.deliveries(
                scope: portico.testScope,
                filter: DeliveryFilter(endpointId: endpoint),
                page: PageRequest(limit: 1)
            )
            if let view = page.items.first, view.delivery.status == status { return view.delivery }
            // Checked after every sleep, the last included: a starved test task may wake past the deadline.
            guard ContinuousClock.now < deadline else { throw WebhookReceiver.ReceiverTimeout(expected: 1, received: 0) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
