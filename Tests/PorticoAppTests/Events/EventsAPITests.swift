import Foundation
import HTTPTypes
import PorticoStore
import Testing

@testable import PorticoApp

@Suite struct EventsAPITests {
    @Test func postValidatesTypeAndData() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let cases: [(String, String, String)] = [
                (#"{"data":{}}"#, "type", "parameter_missing"),
                (#"{"type":"order.created"}"#, "data", "parameter_missing"),
                (#"{"type":"order.created","data":[1]}"#, "data", "parameter_invalid"),
                (#"{"type":"Order.Created","data":{}}"#, "type", "parameter_invalid"),
                (#"{"type":"order","data":{}}"#, "type", "parameter_invalid"),
                (#"{"type":"customer.created","data":{}}"#, "type", "parameter_invalid"),
                (#"{"type":"webhook_endpoint.disabled","data":{}}"#, "type", "parameter_invalid"),
                (#"{"type":"order.created","data":{},"id":"evt_x"}"#, "id", "parameter_unknown"),
            ]
            for (body, param, code) in cases {
                let response = try await api.send(.post, "/v1/events", key: key, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.json["param"] as? String == param, "\(body): \(response.text)")
                #expect(response.json["code"] as? String == code, "\(body)")
            }
            #expect(try await api.send(.get, "/v1/events", key: key).list.isEmpty)
            let reader = try await portico.issue(
                NewKeyRequest(
                    organizationID: portico.organizationID,
                    livemode: false,
                    kind: .restricted,
                    scopes: ["events:read"]
                )
            )
            #expect(try await api.send(.post, "/v1/events", key: reader.secret, json: #"{"type":"order.created","data":{}}"#).status == .forbidden)
        }
    }

    @Test func postedEventIsStoredAsSentAndListedWithFilters() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let created = try await api.send(
                .post,
                "/v1/events",
                key: key,
                json: #"{"type":"order.shipped","data":{"order":"o_1","items":[1,2.5,{"sku":"x"}],"gift":false}}"#
            )
            #expect(created.status == .ok)
            #expect(created.json["object"] as? String == "event")
            #expect(created.json["request_id"] as? String == created.requestID)
            let data = try #require(created.json["data"] as? [String: Any])
            #expect(data["order"] as? String == "o_1")
            #expect((data["items"] as? [Any])?.count == 3)
            let id = try #require(created.json["id"] as? String)
            #expect(try await api.send(.get, "/v1/events/\(id)", key: key).text == created.text)

            try await api.postEvent(key: key, type: "order.created")
            try await api.postEvent(key: key, type: "invoice.paid")
            #expect(try await api.send(.get, "/v1/events?type=order.*", key: key).list.count == 2)
            #expect(try await api.send(.get, "/v1/events?type=invoice.paid", key: key).list.count == 1)
            #expect(try await api.send(.get, "/v1/events?type=*", key: key).list.count == 3)
            #expect(try await api.send(.get, "/v1/events?type=ORDER", key: key).json["param"] as? String == "type")

            let page = try await api.send(.get, "/v1/events?limit=2", key: key)
            #expect(page.list.count == 2)
            #expect(page.json["has_more"] as? Bool == true)
            let last = try #require(page.list.last?["id"] as? String)
            let next = try await api.send(.get, "/v1/events?limit=2&starting_after=\(last)", key: key)
            #expect(next.list.map { $0["id"] as? String } == [id])

            let future = try await api.send(.get, "/v1/events?since=\(Int(Date().timeIntervalSince1970) + 3_600)", key: key)
            #expect(future.list.isEmpty)
            let past = try await api.send(.get, "/v1/events?until=\(Int(Date().timeIntervalSince1970) + 3_600)", key: key)
            #expect(past.list.count == 3)
        }
    }

    @Test func eventsPastRetentionAreDeletedWithTheirDeliveries() async throws {
        let portico = try await TestPortico.make {
            $0.retention.eventsDays = 1
            $0.retention.deliveriesDays = 1
        }
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let endpoint = try await api.createEndpoint(key: key, url: "https://fail.portico.test/200").id
            let old = try await api.postEvent(key: key)
            // Delivered (an event still owed a delivery would stay past its retention).
            #expect(try await api.delivery(key: key, endpoint: endpoint, attempts: 1)["status"] as? String == "succeeded")
            try await portico.advance(seconds: 86_400 + 60)
            let fresh = try await api.postEvent(key: key)
            #expect(await portico.runtime.applyRetention().deleted["events"] == 1)
            #expect(try await api.send(.get, "/v1/events/\(old)", key: key).status == .notFound)
            #expect(try await api.send(.get, "/v1/events/\(fresh)", key: key).status == .ok)
            let deliveries = try await api.send(.get, "/v1/webhook-deliveries", key: key).list
            #expect(deliveries.map { $0["event_id"] as? String } == [fresh])
        }
    }

    /// The outbox: an event exists exactly when its change committed, with a
    /// delivery for every subscribed endpoint.
    @Test func eventsAndDeliveriesCommitWithTheChangeOrNotAtAll() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let endpoint = try await api.createEndpoint(key: key, url: "http://127.0.0.1:1/h", events: ["customer.created", "customer.deleted"])
            _ = try await api.createEndpoint(key: key, url: "http://127.0.0.1:1/h", events: ["order.*"])
            // Refused changes emit nothing.
            #expect(try await api.send(.post, "/v1/customers", key: key, json: #"{"email":"nope"}"#).status == .badRequest)
            #expect(try await api.send(.patch, "/v1/customers/cus_missing", key: key, json: #"{"name":"x"}"#).status == .notFound)
            #expect(try await api.send(.get, "/v1/events", key: key).list.isEmpty)

            let customer = try #require(try await api.send(.post, "/v1/customers", key: key, json: "{}").json["id"] as? String)
            // An update that changes nothing is not an event.
            _ = try await api.send(.patch, "/v1/customers/\(customer)", key: key, json: "{}")
            _ = try await api.send(.patch, "/v1/customers/\(customer)", key: key, json: #"{"name":"A"}"#)
            _ = try await api.send(.delete, "/v1/customers/\(customer)", key: key)
            let types = try await api.send(.get, "/v1/events", key: key).list.compactMap { $0["type"] as? String }
            #expect(types == ["customer.deleted", "customer.updated", "customer.created"])
            // Deliveries only where subscribed: created and deleted for the first endpoint, none for the order.* one.
            let deliveries = try await api.send(.get, "/v1/webhook-deliveries?limit=100", key: key).list
            #expect(deliveries.count == 2)
            #expect(Set(deliveries.compactMap { $0["event_type"] as? String }) == ["customer.created", "customer.deleted"])
            #expect(deliveries.allSatisfy { $0["endpoint_id"] as? String == endpoint.id })
        }
    }

    @Test func sandboxClockMovesOnlyInASandboxWithATestKey() async throws {
        let plain = try await TestPortico.make()
        try await plain.run { (api: APIClient) async throws in
            let response = try await api.send(.post, "/v1/sandbox/clock/advance", key: plain.testKey, json: #"{"seconds":60}"#)
            #expect(response.status == .forbidden)
            #expect(response.json["code"] as? String == "sandbox_only")
        }
        let sandbox = try await TestPortico.make(sandbox: true)
        try await WebhookReceiver.with(.first(.init(status: .internalServerError))) { receiver in
            try await sandbox.run { (api: APIClient) async throws in
                let key = sandbox.testKey
                #expect(try await api.send(.post, "/v1/sandbox/clock/advance", key: sandbox.liveKey, json: #"{"seconds":60}"#).status == .forbidden)
                #expect(
                    try await api.send(.post, "/v1/sandbox/clock/advance", key: key, json: #"{"seconds":0}"#).json["param"] as? String == "seconds"
                )

                let endpoint = try await api.createEndpoint(key: key, url: receiver.url)
                try await api.postEvent(key: key)
                _ = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 1)
                let moved = try await api.send(.post, "/v1/sandbox/clock/advance", key: key, json: #"{"seconds":10}"#)
                #expect(moved.status == .ok)
                #expect((9...11).contains(moved.json["offset_seconds"] as? Int ?? 0))
                // The retry due in 5 s ±20% happens now, not 5 s of wall time later.
                let done = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 2)
                #expect(done["status"] as? String == "succeeded")
                #expect((try await api.send(.get, "/v1/sandbox/clock", key: key).json["offset_seconds"] as? Int ?? 0) >= 9)
            }
        }
    }

    /// A slow endpoint holds at most its own slots: a healthy endpoint keeps receiving.
    @Test func aSlowEndpointDoesNotStarveAHealthyOne() async throws {
        let portico = try await TestPortico.make {
            $0.webhooks.maxConcurrency = 4
            $0.webhooks.perEndpointConcurrency = 2
            // Longer than the test waits with the slow replies held: none of them times out and
            // is sent again while the receiver still holds it (which would count three at once).
            $0.webhooks.timeoutSeconds = 120
        }
        // The slow endpoint answers nothing until the healthy one has had all ten.
        let held = WebhookReceiver.Gate()
        try await WebhookReceiver.with(.always(.init(gate: held))) { slow in
            defer { held.open() }
            try await WebhookReceiver.with { healthy in
                try await portico.run { (api: APIClient) async throws in
                    let key = portico.testKey
                    _ = try await api.createEndpoint(key: key, url: slow.url)
                    _ = try await api.createEndpoint(key: key, url: healthy.url)
                    for _ in 0..<10 { try await api.postEvent(key: key) }
                    let received = try await healthy.waitFor(10)
                    #expect(received.count == 10)
                    held.open()
                    try await slow.waitFor(10)
                    // Counted by the receiver, not by timing: however slow the machine, never more than its two slots at once.
                    #expect(slow.peakInFlight == 2, "the slow endpoint had \(slow.peakInFlight) deliveries in flight at once")
                }
            }
        }
    }
}
