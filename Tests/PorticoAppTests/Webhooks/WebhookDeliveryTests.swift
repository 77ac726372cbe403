import Foundation
import HTTPTypes
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Webhooks end to end: the real server, a real receiver on loopback, real
/// signatures checked in Swift and by the Python `standardwebhooks` library.
@Suite struct WebhookDeliveryTests {
    @Test(.requires(.pythonModule("standardwebhooks")))
    func customerChangesAreDeliveredSignedAndRecorded() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url, events: ["customer.*"])
                #expect(endpoint.secret.hasPrefix("whsec_"))

                let created = try await api.send(.post, "/v1/customers", key: key, json: #"{"email":"ada@example.com"}"#)
                let customerID = try #require(created.json["id"] as? String)
                _ = try await api.send(.patch, "/v1/customers/\(customerID)", key: key, json: #"{"name":"Ada"}"#)
                _ = try await api.send(.delete, "/v1/customers/\(customerID)", key: key)

                let deliveries = try await receiver.waitFor(3)
                #expect(Set(deliveries.compactMap(\.type)) == ["customer.created", "customer.updated", "customer.deleted"])
                for delivery in deliveries {
                    let id = try #require(delivery.webhookID)
                    #expect(id.hasPrefix("evt_"))
                    #expect(delivery.json["id"] as? String == id, "webhook-id is the event id")
                    #expect(try await api.send(.get, "/v1/events/\(id)", key: key).text == delivery.body, "the body is the event as the API shows it")
                    #expect(delivery.isSigned(with: endpoint.secret))
                    await #expect(try PythonVerifier.verify(secret: endpoint.secret, delivery), "standardwebhooks rejects \(delivery.body)")
                    let object = try #require((delivery.json["data"] as? [String: Any])?["object"] as? [String: Any])
                    #expect(object["id"] as? String == customerID)
                }
                let updated = try #require(deliveries.first { $0.type == "customer.updated" })
                let previous = (updated.json["data"] as? [String: Any])?["previous_attributes"] as? [String: Any]
                #expect(previous?.keys.sorted() == ["name"])
                #expect(previous?["name"] is NSNull)

                // A tampered body fails the outside check too.
                var tampered = deliveries[0]
                tampered.body = tampered.body.replacingOccurrences(of: "ada@example.com", with: "eve@example.com")
                await #expect(try !PythonVerifier.verify(secret: endpoint.secret, tampered))

                let list = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint.id)", key: key) { json in
                    let data = json["data"] as? [[String: Any]] ?? []
                    return data.count == 3 && data.allSatisfy { $0["status"] as? String == "succeeded" }
                }
                let first = try #require((list["data"] as? [[String: Any]])?.first)
                let detail = try await api.send(.get, "/v1/webhook-deliveries/\(first["id"] as! String)", key: key).json
                let attempts = try #require(detail["attempts"] as? [[String: Any]])
                #expect(attempts.count == 1)
                #expect(attempts.first?["status_code"] as? Int == 200)
                #expect(attempts.first?["error_kind"] is NSNull)
                #expect(attempts.first?["response_excerpt"] as? String == "ok")
                #expect(detail["attempt_count"] as? Int == 1)
                #expect(detail["next_attempt_at"] is NSNull)

                let events = try await api.send(.get, "/v1/events?type=customer.*", key: key).list
                #expect(events.map { $0["type"] as? String } == ["customer.deleted", "customer.updated", "customer.created"])
            }
        }
    }

    @Test func metricsCountAttemptsByOutcomeAndSampleTheBacklog() async throws {
        let portico = try await TestPortico.make()
        // The failed delivery's 5-second retry must not come due on a slow machine and add an attempt.
        portico.clock.freeze()
        try await WebhookReceiver.with(.first(.init(status: .internalServerError))) { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                try await api.postEvent(key: key)
                try await api.postEvent(key: key)
                _ = try await receiver.waitFor(2)
                _ = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint.id)", key: key) { json in
                    (json["data"] as? [[String: Any]])?.allSatisfy { ($0["attempt_count"] as? Int ?? 0) == 1 } ?? false
                }
                try await portico.runtime.sampleWebhookBacklog()
                let metrics = try await api.send(.get, "/metrics").text
                #expect(metrics.contains(#"portico_webhook_attempts_total{outcome="http"} 1"#), "\(metrics)")
                #expect(metrics.contains(#"portico_webhook_attempts_total{outcome="succeeded"} 1"#))
                #expect(metrics.contains("portico_webhook_attempt_duration_seconds_count 2"))
                #expect(metrics.contains("portico_webhook_dispatch_lag_seconds_count 2"))
                // One delivery waits for its retry: owed, not yet overdue.
                #expect(metrics.contains("portico_webhook_deliveries_owed 1"))
                #expect(metrics.contains("portico_webhook_oldest_due_age_seconds 0"))
            }
        }
    }

    /// At least once must not mean "often twice": with nothing failing, every
    /// event arrives exactly once even while scheduling passes overlap commits.
    @Test func aHealthyBurstArrivesExactlyOnce() async throws {
        let portico = try await TestPortico.make {
            $0.webhooks.perEndpointConcurrency = 16
        }
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                _ = try await api.createEndpoint(key: key, url: receiver.url)
                // Straight into the outbox (the API's per-second limit would refuse a burst this size).
                var sent = Set<String>()
                let scope = TenantScope(organizationId: portico.organizationID, livemode: false)
                try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<300 {
                        group.addTask {
                            let now = portico.clock.nowMilliseconds
                            let event = EventRecord(
                                id: Identifier.make("evt", at: now),
                                scope: scope,
                                type: "order.created",
                                data: #"{"n":\#(index)}"#,
                                requestId: nil,
                                createdAt: now
                            )
                            try await portico.store.insertEvent(event)
                            return event.id
                        }
                    }
                    for try await id in group { sent.insert(id) }
                }
                let received = try await receiver.waitFor(300)
                try await Task.sleep(for: .milliseconds(300))
                #expect(receiver.received.count == 300, "duplicates: \(receiver.received.count - Set(received.compactMap(\.webhookID)).count)")
                #expect(Set(receiver.received.compactMap(\.webhookID)) == sent)
            }
        }
    }
}
