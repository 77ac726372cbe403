import Foundation
import HTTPTypes
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Every way an attempt can fail, recorded with its kind, against real sockets.
@Suite struct WebhookFailureTests {
    @Test func everyFailureKindIsRecordedAndScheduledForRetry() async throws {
        // 10 s: a loaded CI machine (the PostgreSQL cluster and a release build beside the suite) can
        // take seconds to answer on loopback, which would record the 500 as a timeout. The slow
        // receiver holds its replies until the test ends, so its attempt times out however long that is.
        let portico = try await TestPortico.make { $0.webhooks.timeoutSeconds = 10 }
        let held = WebhookReceiver.Gate()
        try await WebhookReceiver.with(.always(.init(status: .internalServerError, body: "boom"))) { failing in
            try await WebhookReceiver.with(.always(.init(gate: held))) { slow in
                defer { held.open() }
                try await portico.run { (api: APIClient) async throws in
                    let key = portico.testKey
                    let http = try await api.createEndpoint(key: key, url: failing.url)
                    let timeout = try await api.createEndpoint(key: key, url: slow.url)
                    let refused = try await api.createEndpoint(key: key, url: "http://127.0.0.1:1/hooks")
                    let tls = try await api.createEndpoint(key: key, url: "https://127.0.0.1:\(failing.port)/hooks")
                    let dns = try await api.createEndpoint(key: key, url: failing.url)
                    let blocked = try await api.createEndpoint(key: key, url: failing.url)
                    // What DNS or an operator could change after registration: checked again at the attempt.
                    let scope = TenantScope(organizationId: portico.organizationID, livemode: false)
                    _ = try await portico.store.updateEndpoint(id: dns.id, scope: scope) { $0.url = "http://no-such-host.invalid/hooks" }
                    _ = try await portico.store.updateEndpoint(id: blocked.id, scope: scope) { $0.url = "http://10.1.2.3/hooks" }

                    try await api.postEvent(key: key)
                    let expectations: [(String, String)] = [
                        (http.id, "http"), (timeout.id, "timeout"), (refused.id, "refused"), (tls.id, "tls"), (dns.id, "dns"),
                        (blocked.id, "blocked"),
                    ]
                    for (endpoint, kind) in expectations {
                        let delivery = try await api.delivery(key: key, endpoint: endpoint, attempts: 1)
                        let attempt = try #require(delivery.attempts.first, "\(kind): \(delivery)")
                        #expect(attempt["error_kind"] as? String == kind, "\(kind): \(attempt)")
                        #expect(delivery["status"] as? String == "failed", "\(kind)")
                        #expect(delivery["next_attempt_at"] is String, "\(kind): a retry is scheduled")
                    }
                    let httpAttempt = try #require(try await api.delivery(key: key, endpoint: http.id, attempts: 1).attempts.first)
                    #expect(httpAttempt["status_code"] as? Int == 500)
                    #expect(httpAttempt["response_excerpt"] as? String == "boom")
                    // Only the http endpoint's delivery reached the receiver (once, or again if its 5 s retry
                    // came due on a slow machine): the TLS one never got past the handshake, and the dns and
                    // blocked ones were refused before any connection.
                    #expect(!failing.received.isEmpty)
                    #expect(Set(failing.received.map { $0.webhookID ?? "" }).count == 1)
                }
            }
        }
    }

    /// The store cannot record attempts (as on a full disk): each delivery is
    /// sent once and then held, never re-sent in a loop; once recording works
    /// again the kept outcomes are written and nothing was sent twice.
    @Test func unrecordableAttemptsAreHeldNotResent() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                portico.runtime.faults.set(.recordAttempts, .fail)
                for number in 1...3 { try await api.postEvent(key: key, data: #"{"n":\#(number)}"#) }
                try await receiver.waitFor(3)
                // Three rounds of recording retries (250 + 500 + 1,000 ms) pass while the store still fails.
                try await Task.sleep(for: .milliseconds(1_900))
                #expect(receiver.received.count == 3, "a delivery whose attempt could not be recorded was sent again")
                portico.runtime.faults.set(.recordAttempts, nil)
                _ = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint.id)", key: key) { list in
                    let deliveries = list["data"] as? [[String: Any]] ?? []
                    return deliveries.count == 3 && deliveries.allSatisfy { $0["status"] as? String == "succeeded" }
                }
                let deliveries = try await api.deliveries(key: key, endpoint: endpoint.id)
                #expect(deliveries.map { $0["attempt_count"] as? Int } == [1, 1, 1])
                #expect(receiver.received.count == 3)
            }
        }
    }

    @Test func retriesFollowTheScheduleUnderTheInjectedClockWithTheSameWebhookID() async throws {
        let portico = try await TestPortico.make()
        // Only `advance` moves time: a slow machine must not bring the 5 s retry due by itself.
        portico.clock.freeze()
        try await WebhookReceiver.with(.first(2, .init(status: .serviceUnavailable))) { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                let eventID = try await api.postEvent(key: key)
                let scope = TenantScope(organizationId: portico.organizationID, livemode: false)

                _ = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 1)
                let deliveryID = try #require(try await api.deliveries(key: key, endpoint: endpoint.id).first?["id"] as? String)
                var (record, _) = try #require(try await portico.store.delivery(id: deliveryID, scope: scope))
                var gap = try #require(record.delivery.nextAttemptAt) - (record.delivery.lastAttemptAt ?? 0)
                #expect((4_000...6_000).contains(gap), "first retry after 5 s ±20%, got \(gap) ms")

                try await portico.advance(seconds: Double(gap) / 1_000 + 0.5)
                _ = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 2)
                (record, _) = try #require(try await portico.store.delivery(id: deliveryID, scope: scope))
                gap = try #require(record.delivery.nextAttemptAt) - (record.delivery.lastAttemptAt ?? 0)
                #expect((240_000...360_000).contains(gap), "second retry after 5 min ±20%, got \(gap) ms")
                #expect(record.delivery.status == .failed)

                try await portico.advance(seconds: Double(gap) / 1_000 + 0.5)
                let done = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 3)
                #expect(done["status"] as? String == "succeeded")
                #expect(done.attempts.map { $0["status_code"] as? Int } == [503, 503, 200])
                #expect(receiver.received.map(\.webhookID) == Array(repeating: eventID, count: 3))
            }
        }
    }

    @Test func exhaustedDeliveryIsDeadAndAnnounced() async throws {
        let portico = try await TestPortico.make()
        // Only `advance` moves time: a retry coming due in real time on a slow machine would add attempts.
        portico.clock.freeze()
        try await WebhookReceiver.with(.always(.init(status: .badGateway))) { failing in
            try await WebhookReceiver.with { watcher in
                try await portico.run { (api: APIClient) async throws in
                    let key = portico.testKey
                    let endpoint = try await api.createEndpoint(key: key, url: failing.url, events: ["order.*"])
                    let watch = try await api.createEndpoint(key: key, url: watcher.url, events: ["webhook_delivery.exhausted"])
                    try await api.postEvent(key: key)
                    let scope = TenantScope(organizationId: portico.organizationID, livemode: false)
                    for attempt in 1...7 {
                        _ = try await api.delivery(key: key, endpoint: endpoint.id, attempts: attempt)
                        let id = try #require(try await api.deliveries(key: key, endpoint: endpoint.id).first?["id"] as? String)
                        let (view, _) = try #require(try await portico.store.delivery(id: id, scope: scope))
                        let wait = try #require(view.delivery.nextAttemptAt) - portico.clock.nowMilliseconds
                        try await portico.advance(seconds: Double(max(wait, 0)) / 1_000 + 0.5)
                    }
                    let dead = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 8)
                    #expect(dead["status"] as? String == "dead")
                    #expect(dead["next_attempt_at"] is NSNull)
                    #expect(failing.received.count == 8)

                    let notice = try #require(try await watcher.waitFor(1).first)
                    #expect(notice.type == "webhook_delivery.exhausted")
                    let object = (notice.json["data"] as? [String: Any])?["object"] as? [String: Any]
                    #expect(object?["id"] as? String == dead["id"] as? String)
                    #expect(object?["status"] as? String == "dead")
                    let listed = try await api.send(.get, "/v1/events?type=webhook_delivery.exhausted", key: key).list
                    #expect(listed.count == 1)
                    #expect(try await api.deliveries(key: key, endpoint: watch.id).count == 1)
                }
            }
        }
    }

    @Test func goneDisablesTheEndpointAndManualRetryNeedsItEnabled() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with(.first(.init(status: .gone))) { receiver in
            try await WebhookReceiver.with { watcher in
                try await portico.run { (api: APIClient) async throws in
                    let key = portico.testKey
                    let endpoint = try await api.createEndpoint(key: key, url: receiver.url, events: ["order.*"])
                    _ = try await api.createEndpoint(key: key, url: watcher.url, events: ["webhook_endpoint.disabled"])
                    let eventID = try await api.postEvent(key: key)
                    let dead = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 1)
                    #expect(dead["status"] as? String == "dead")
                    let disabled = try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)", key: key).json
                    #expect(disabled["status"] as? String == "disabled")
                    #expect(disabled["disabled_reason"] as? String == "gone")
                    let notice = try #require(try await watcher.waitFor(1).first)
                    #expect(notice.type == "webhook_endpoint.disabled")

                    // Nothing new is sent to a disabled endpoint, and it cannot be retried to.
                    try await api.postEvent(key: key)
                    #expect(try await api.deliveries(key: key, endpoint: endpoint.id).count == 1)
                    let deliveryID = try #require(dead["id"] as? String)
                    let refused = try await api.send(.post, "/v1/webhook-deliveries/\(deliveryID)/retry", key: key)
                    #expect(refused.status == .badRequest)
                    #expect(refused.json["code"] as? String == "endpoint_disabled")

                    let enabled = try await api.send(.patch, "/v1/webhook-endpoints/\(endpoint.id)", key: key, json: #"{"status":"enabled"}"#)
                    #expect(enabled.json["disabled_reason"] is NSNull)
                    let retried = try await api.send(.post, "/v1/webhook-deliveries/\(deliveryID)/retry", key: key)
                    #expect(retried.status == .accepted)
                    #expect(retried.json["status"] as? String == "pending")
                    let second = try await receiver.waitFor(2)
                    #expect(second.map(\.webhookID) == [eventID, eventID])
                    let done = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 2)
                    #expect(done["status"] as? String == "succeeded")
                }
            }
        }
    }

    @Test func endpointFailingLongerThanTheLimitIsDisabled() async throws {
        let portico = try await TestPortico.make { $0.webhooks.autoDisableAfterHours = 1 }
        // Only `advance` moves time: a retry coming due in real time on a slow machine would add attempts.
        portico.clock.freeze()
        try await WebhookReceiver.with(.always(.init(status: .internalServerError))) { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                try await api.postEvent(key: key)
                _ = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 1)
                #expect(try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)", key: key).json["status"] as? String == "enabled")

                // An hour later the retry fails again: the streak has lasted an hour, so the endpoint is disabled.
                try await portico.advance(seconds: 3_601)
                let endpointJSON = try await api.poll("/v1/webhook-endpoints/\(endpoint.id)", key: key) { $0["status"] as? String == "disabled" }
                #expect(endpointJSON["disabled_reason"] as? String == "failing")
                let delivery = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 2)
                #expect(delivery["status"] as? String == "dead")
                let events = try await api.send(.get, "/v1/events?type=webhook_endpoint.disabled", key: key).list
                let object = (events.first?["data"] as? [String: Any])?["object"] as? [String: Any]
                #expect(object?["id"] as? String == endpoint.id)
            }
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        let portico = try await TestPortico.make()
        // No retry 5 s later on a slow machine: the receiver's count is of the first attempt alone.
        portico.clock.freeze()
        try await WebhookReceiver.with(.always(.init(status: .found, headers: [.location: "http://10.0.0.1/internal"]))) { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                try await api.postEvent(key: key)
                let delivery = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 1)
                #expect(delivery.attempts.first?["status_code"] as? Int == 302)
                #expect(delivery.attempts.first?["error_kind"] as? String == "http")
                #expect(delivery["status"] as? String == "failed")
                #expect(receiver.received.count == 1)
            }
        }
    }
}
