import Foundation
import HTTPTypes
import PorticoStore
import Testing

@testable import PorticoApp

/// The endpoint API: validation, secrets and rotation, replay, isolation, SSRF refusals.
@Suite struct WebhookEndpointTests {
    @Test func createValidatesAndRefusesWithoutStoring() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let cases: [(String, String, String)] = [
                (#"{"enabled_events":["*"]}"#, "url", "parameter_missing"),
                (#"{"url":"http://127.0.0.1:9/h"}"#, "enabled_events", "parameter_missing"),
                (#"{"url":"ftp://example.com/h","enabled_events":["*"]}"#, "url", "parameter_invalid"),
                (#"{"url":"https://user:pw@example.com/h","enabled_events":["*"]}"#, "url", "parameter_invalid"),
                (#"{"url":"http://127.0.0.1:9/h","enabled_events":[]}"#, "enabled_events", "parameter_invalid"),
                (#"{"url":"http://127.0.0.1:9/h","enabled_events":["Customer.Created"]}"#, "enabled_events", "parameter_invalid"),
                (#"{"url":"http://127.0.0.1:9/h","enabled_events":["*"],"secret":"whsec_x"}"#, "secret", "parameter_unknown"),
                (#"{"url":42,"enabled_events":["*"]}"#, "url", "parameter_invalid"),
            ]
            for (body, param, code) in cases {
                let response = try await api.send(.post, "/v1/webhook-endpoints", key: key, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.json["param"] as? String == param, "\(body): \(response.text)")
                #expect(response.json["code"] as? String == code, "\(body)")
            }
            #expect(try await api.send(.get, "/v1/webhook-endpoints", key: key).list.isEmpty)
            let publishable = try await api.send(
                .post,
                "/v1/webhook-endpoints",
                key: portico.seed.keys.testPublishable,
                json: #"{"url":"http://127.0.0.1:9/h","enabled_events":["*"]}"#
            )
            #expect(publishable.status == .forbidden)
        }
    }

    @Test(arguments: [
        "http://127.0.0.1/h", "http://localhost/h", "http://10.0.0.1/h", "http://172.16.0.1/h", "http://192.168.1.1/h",
        "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/h", "http://0.0.0.0/h", "http://224.0.0.1/h",
        "http://255.255.255.255/h", "http://192.0.2.1/h", "http://198.18.0.1/h", "http://[::1]/h", "http://[::]/h",
        "http://[fd00::1]/h", "http://[fe80::1]/h", "http://[ff02::1]/h", "http://[::ffff:10.0.0.1]/h", "http://[64:ff9b::a00:1]/h",
        "http://[2002:a00:1::1]/h", "http://[2001:0:a00:1::1]/h", "http://[2001:db8::1]/h", "http://2130706433/h",
        "http://0177.0.0.1/h", "http://0x7f.0.0.1/h", "http://127.1/h", "http://0x0a000001/h", "http://012.0.0.1/h",
    ])
    func privateAndDisguisedAddressesAreRefusedAtRegistration(url: String) async throws {
        let portico = try await TestPortico.make { $0.webhooks.allowedCidrs = [] }
        try await portico.run { (api: APIClient) async throws in
            let body = try JSONSerialization.data(withJSONObject: ["url": url, "enabled_events": ["*"]])
            let response = try await api.send(.post, "/v1/webhook-endpoints", key: portico.testKey, json: String(decoding: body, as: UTF8.self))
            #expect(response.status == .badRequest, "\(url) was accepted")
            #expect(response.json["param"] as? String == "url")
            #expect(try await api.send(.get, "/v1/webhook-endpoints", key: portico.testKey).list.isEmpty)
        }
    }

    @Test func loopbackAllowlistedByTheOperatorIsAccepted() async throws {
        let portico = try await TestPortico.make { $0.webhooks.allowedCidrs = ["127.0.0.0/8"] }
        try await portico.run { (api: APIClient) async throws in
            _ = try await api.createEndpoint(key: portico.testKey, url: "http://localhost:9/h")
            let refused = try await api.send(
                .post,
                "/v1/webhook-endpoints",
                key: portico.testKey,
                json: #"{"url":"http://10.0.0.1/h","enabled_events":["*"]}"#
            )
            #expect(refused.status == .badRequest)
        }
    }

    @Test func secretIsShownOnCreateAndByTheSecretRouteOnly() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let endpoint = try await api.createEndpoint(key: key, url: "http://127.0.0.1:9/h")
            let retrieved = try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)", key: key)
            #expect(retrieved.json["secret"] == nil)
            #expect(!retrieved.text.contains(endpoint.secret))
            #expect(!(try await api.send(.get, "/v1/webhook-endpoints", key: key).text.contains(endpoint.secret)))
            let secret = try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)/secret", key: key)
            #expect(secret.json["secret"] as? String == endpoint.secret)
            // Reading a secret takes webhooks:write.
            let reader = try await portico.issue(
                NewKeyRequest(
                    organizationID: portico.organizationID,
                    livemode: false,
                    kind: .restricted,
                    scopes: ["webhooks:read"]
                )
            )
            #expect(try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)/secret", key: reader.secret).status == .forbidden)
            #expect(try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)", key: reader.secret).status == .ok)
        }
    }

    @Test(.requires(.pythonModule("standardwebhooks")))
    func rotationSignsWithBothSecretsDuringTheOverlapOnly() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                let rotated = try await api.send(
                    .post,
                    "/v1/webhook-endpoints/\(endpoint.id)/rotate-secret",
                    key: key,
                    json: #"{"overlap_seconds":3600}"#
                )
                let fresh = try #require(rotated.json["secret"] as? String)
                #expect(fresh != endpoint.secret)
                #expect(rotated.json["previous_secret_expires_at"] is String)

                try await api.postEvent(key: key)
                let during = try #require(try await receiver.waitFor(1).last)
                #expect(during.signature?.split(separator: " ").count == 2)
                await #expect(try PythonVerifier.verify(secret: fresh, during))
                await #expect(try PythonVerifier.verify(secret: endpoint.secret, during))

                try await portico.advance(seconds: 3_601)
                try await api.postEvent(key: key)
                let after = try #require(try await receiver.waitFor(2).last)
                #expect(after.signature?.split(separator: " ").count == 1)
                await #expect(try PythonVerifier.verify(secret: fresh, after))
                await #expect(try !PythonVerifier.verify(secret: endpoint.secret, after))

                let bad = try await api.send(.post, "/v1/webhook-endpoints/\(endpoint.id)/rotate-secret", key: key, json: #"{"overlap_seconds":-1}"#)
                #expect(bad.json["param"] as? String == "overlap_seconds")
            }
        }
    }

    @Test func testEventGoesToThatEndpointOnly() async throws {
        let portico = try await TestPortico.make()
        try await WebhookReceiver.with { first in
            try await WebhookReceiver.with { second in
                try await portico.run { (api: APIClient) async throws in
                    let key = portico.testKey
                    let target = try await api.createEndpoint(key: key, url: first.url, events: ["customer.created"])
                    _ = try await api.createEndpoint(key: key, url: second.url)
                    let sent = try await api.send(.post, "/v1/webhook-endpoints/\(target.id)/test", key: key)
                    #expect(sent.json["type"] as? String == "portico.test")
                    let received = try await first.waitFor(1)
                    #expect(received.first?.webhookID == sent.json["id"] as? String)
                    _ = try await api.poll("/v1/webhook-deliveries?event=\(sent.json["id"] as! String)", key: key) {
                        ($0["data"] as? [[String: Any]])?.first?["status"] as? String == "succeeded"
                    }
                    #expect(second.received.isEmpty)
                }
            }
        }
    }

    @Test func replayRequeuesFailedAndDeadDeliveriesAsAJob() async throws {
        let portico = try await TestPortico.make()
        // Only the replay may make a failed delivery due again: a retry coming due on a slow
        // machine would take it out of "failed" before the replay counts it.
        portico.clock.freeze()
        try await WebhookReceiver.with(.always(.init(status: .internalServerError))) { receiver in
            try await portico.run { (api: APIClient) async throws in
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                var events: [String] = []
                for _ in 0..<3 { events.append(try await api.postEvent(key: key)) }
                _ = try await receiver.waitFor(3)
                _ = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint.id)&status=failed", key: key) {
                    ($0["data"] as? [[String: Any]])?.count == 3
                }
                receiver.answer { _ in .init() }
                let job = try await api.send(.post, "/v1/webhook-endpoints/\(endpoint.id)/replay", key: key, json: "{}")
                #expect(job.status == .accepted)
                let jobID = try #require(job.json["id"] as? String)
                let finished = try await api.poll("/v1/webhook-replays/\(jobID)", key: key) { $0["status"] as? String == "completed" }
                #expect(finished["queued"] as? Int == 3)
                let all = try await receiver.waitFor(6)
                #expect(Set(all.suffix(3).compactMap(\.webhookID)) == Set(events))
                _ = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint.id)&status=succeeded", key: key) {
                    ($0["data"] as? [[String: Any]])?.count == 3
                }
                let bad = try await api.send(
                    .post,
                    "/v1/webhook-endpoints/\(endpoint.id)/replay",
                    key: key,
                    json: #"{"since":"2026-11-22T10:00:00Z","until":"2026-11-21T10:00:00Z"}"#
                )
                #expect(bad.json["param"] as? String == "until")
            }
        }
    }

    @Test func endpointsEventsAndDeliveriesAreIsolatedByOrganizationAndMode() async throws {
        let portico = try await TestPortico.make()
        let other = try await portico.seedOtherOrganization()
        try await WebhookReceiver.with { mine in
            try await WebhookReceiver.with { theirs in
                try await WebhookReceiver.with { live in
                    try await portico.run { (api: APIClient) async throws in
                        let key = portico.testKey
                        let endpoint = try await api.createEndpoint(key: key, url: mine.url)
                        let foreign = try await api.createEndpoint(key: other.keys.testSecret, url: theirs.url)
                        _ = try await api.createEndpoint(key: portico.liveKey, url: live.url)

                        let eventID = try await api.postEvent(key: key)
                        _ = try await api.send(.post, "/v1/customers", key: key, json: "{}")
                        _ = try await mine.waitFor(2)
                        _ = try await api.poll("/v1/webhook-deliveries?endpoint=\(endpoint.id)&status=succeeded", key: key) {
                            ($0["data"] as? [[String: Any]])?.count == 2
                        }
                        #expect(theirs.received.isEmpty)
                        #expect(live.received.isEmpty)

                        for path in ["/v1/webhook-endpoints/\(foreign.id)", "/v1/webhook-endpoints/\(foreign.id)/secret"] {
                            let response = try await api.send(.get, path, key: key)
                            #expect(response.status == .notFound, "\(path)")
                        }
                        #expect(try await api.send(.delete, "/v1/webhook-endpoints/\(foreign.id)", key: key).status == .notFound)
                        #expect(try await api.send(.get, "/v1/events/\(eventID)", key: other.keys.testSecret).status == .notFound)
                        #expect(try await api.send(.get, "/v1/events/\(eventID)", key: portico.liveKey).status == .notFound)
                        #expect(try await api.send(.get, "/v1/webhook-deliveries", key: other.keys.testSecret).list.isEmpty)
                        #expect(try await api.send(.get, "/v1/webhook-deliveries", key: portico.liveKey).list.isEmpty)
                        let deliveryID = try #require(try await api.deliveries(key: key, endpoint: endpoint.id).first?["id"] as? String)
                        #expect(try await api.send(.get, "/v1/webhook-deliveries/\(deliveryID)", key: other.keys.testSecret).status == .notFound)
                        #expect(try await api.send(.post, "/v1/webhook-deliveries/\(deliveryID)/retry", key: portico.liveKey).status == .notFound)
                    }
                }
            }
        }
    }

    @Test func updateAndDelete() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let endpoint = try await api.createEndpoint(key: key, url: "http://127.0.0.1:9/h")
            let updated = try await api.send(
                .patch,
                "/v1/webhook-endpoints/\(endpoint.id)",
                key: key,
                json: #"{"enabled_events":["customer.*","order.shipped"],"description":"orders","metadata":{"team":"ops"},"status":"disabled"}"#
            )
            #expect(updated.json["enabled_events"] as? [String] == ["customer.*", "order.shipped"])
            #expect(updated.json["status"] as? String == "disabled")
            #expect(updated.json["disabled_reason"] as? String == "manual")
            #expect((updated.json["metadata"] as? [String: String]) == ["team": "ops"])
            let badStatus = try await api.send(.patch, "/v1/webhook-endpoints/\(endpoint.id)", key: key, json: #"{"status":"paused"}"#)
            #expect(badStatus.json["param"] as? String == "status")
            let rotated = try await api.send(.post, "/v1/webhook-endpoints/\(endpoint.id)/rotate-secret", key: key, json: "{}")
            #expect(rotated.status == .ok)
            let deleted = try await api.send(.delete, "/v1/webhook-endpoints/\(endpoint.id)", key: key)
            #expect(deleted.json["deleted"] as? Bool == true)
            #expect(try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)", key: key).status == .notFound)
            #expect(try await api.send(.delete, "/v1/webhook-endpoints/\(endpoint.id)", key: key).status == .notFound)

            // Every change is audited with the key that made it and its request; the refusals are not.
            let audit = try await portico.store.auditEntries(targetId: endpoint.id)
            #expect(
                audit.map(\.action) == [
                    "webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.secret_rotated", "webhook_endpoint.deleted",
                ]
            )
            #expect(audit.allSatisfy { $0.actorType == "api_key" && $0.actorId != nil && $0.requestId != nil && $0.targetType == "webhook_endpoint" })
            #expect(audit.allSatisfy { $0.organizationId == portico.organizationID && $0.details.contains(#""mode":"test""#) })
            #expect(audit.first { $0.action == "webhook_endpoint.updated" }?.details.contains(#""status":"disabled""#) == true)
            #expect(!audit.contains { $0.details.contains("whsec_") }, "no secret in the audit log")
        }
    }

    @Test func dashboardEndpointChangesAreAuditedAsTheSignedInUser() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let token = try await owner.csrfToken("/dashboard/webhooks")
            let created = try await owner.post(
                "/dashboard/webhooks",
                [("csrf_token", token), ("url", "http://127.0.0.1:9/h"), ("enabled_events", "*"), ("description", "")]
            )
            let id = try #require(created.headers[.location]?.split(separator: "/").last?.split(separator: "?").first.map(String.init))
            _ = try await owner.post("/dashboard/webhooks/\(id)/delete", [("csrf_token", token)])
            let audit = try await portico.store.auditEntries(targetId: id)
            #expect(audit.map(\.action) == ["webhook_endpoint.created", "webhook_endpoint.deleted"])
            #expect(audit.allSatisfy { $0.actorType == "user" && $0.actorId != nil })
            let page = try await owner.get("/dashboard/audit")
            #expect(page.text.contains("webhook_endpoint.deleted"))
        }
    }
}
