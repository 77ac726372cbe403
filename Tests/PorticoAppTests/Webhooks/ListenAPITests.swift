import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp

/// The listen API's refusals: only `portico listen` makes listener
/// endpoints, and a report must answer an attempt that is waiting, on the
/// caller's own listener endpoint.
@Suite struct ListenAPITests {
    /// A report answers the attempt it names: one for an attempt that timed out is refused, never
    /// taken as the answer to the next attempt of the same delivery.
    @Test func aLateReportDoesNotAnswerTheNextAttempt() async {
        let hub = ListenerHub()
        let stream = hub.open(endpointID: "we_1")
        let first = ListenerHub.Delivery(deliveryId: "whd_1", eventType: "x", attempt: 1, headers: [:], body: "{}")
        let timedOut = await hub.deliver(first, endpointID: "we_1", timeout: .milliseconds(10))
        #expect(timedOut == .failure(.timeout, "portico listen did not report the local answer within the timeout."))
        var second = first
        second.attempt = 2
        async let answer = hub.deliver(second, endpointID: "we_1", timeout: .seconds(30))
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()
        #expect(await iterator.next()?.attempt == 2)
        #expect(
            !hub.report(endpointID: "we_1", deliveryID: "whd_1", attempt: 1, outcome: .response(status: 200, retryAfterSeconds: nil, excerpt: ""))
        )
        #expect(
            hub.report(endpointID: "we_1", deliveryID: "whd_1", attempt: 2, outcome: .response(status: 500, retryAfterSeconds: nil, excerpt: "no"))
        )
        #expect(await answer == .response(status: 500, retryAfterSeconds: nil, excerpt: "no"))
        hub.close(endpointID: "we_1")
    }

    @Test func eachTenantHoldsAtMostSixteenLogStreams() {
        let tail = LogTail()
        let scope = TenantScope(organizationId: "org_1", livemode: false)
        let held = (0..<LogTail.maxPerTenant).compactMap { _ in tail.subscribe(LogTail.Filter(scope: scope)) }
        #expect(held.count == LogTail.maxPerTenant)
        #expect(tail.subscribe(LogTail.Filter(scope: scope)) == nil)
        #expect(tail.subscribe(LogTail.Filter(scope: TenantScope(organizationId: "org_1", livemode: true))) != nil, "the other mode has its own")
        tail.unsubscribe(held[0].id)
        #expect(tail.subscribe(LogTail.Filter(scope: scope)) != nil)
    }

    @Test func listenerEndpointsAndReportsAreGuarded() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let key = portico.testKey
            let byHand = try await api.send(
                .post,
                "/v1/webhook-endpoints",
                key: key,
                json: #"{"url":"https://listen.portico.test/we_x","enabled_events":["*"]}"#
            )
            #expect(byHand.status == .badRequest)
            #expect((byHand.json["detail"] as? String)?.contains("portico listen") == true)

            let ordinary = try await api.createEndpoint(key: key, url: "https://fail.portico.test/200")
            let notListener = try await api.send(
                .post,
                "/v1/webhook-endpoints/\(ordinary.id)/listen-results",
                key: key,
                json: #"{"delivery_id":"whd_x","attempt":1,"status":200}"#
            )
            #expect(notListener.status == .notFound)

            let listener = try await portico.runtime.webhookEndpoints.createListener(events: ["*"], scope: portico.testScope, by: .cli)
            _ = portico.runtime.listeners.open(endpointID: listener.id)
            let nothingWaiting = try await api.send(
                .post,
                "/v1/webhook-endpoints/\(listener.id)/listen-results",
                key: key,
                json: #"{"delivery_id":"whd_x","attempt":1,"status":200}"#
            )
            #expect(nothingWaiting.status == .notFound)
            #expect(nothingWaiting.json["param"] as? String == "delivery_id")
            for bad in [
                #"{"delivery_id":"whd_x","status":99}"#, #"{"delivery_id":"whd_x"}"#, #"{"delivery_id":"whd_x","error":"http"}"#,
                #"{"delivery_id":"whd_x","status":200,"error":"refused"}"#, #"{"status":200}"#,
            ] {
                let refused = try await api.send(.post, "/v1/webhook-endpoints/\(listener.id)/listen-results", key: key, json: bad)
                #expect(refused.status == .badRequest, "\(bad): \(refused.text)")
            }
            // Another mode's key cannot see the endpoint at all.
            let otherMode = try await api.send(
                .post,
                "/v1/webhook-endpoints/\(listener.id)/listen-results",
                key: portico.liveKey,
                json: #"{"delivery_id":"whd_x","attempt":1,"status":200}"#
            )
            #expect(otherMode.status == .notFound)
            #expect(otherMode.json["param"] as? String == "id")
            // Its URL may be sent back unchanged (the dashboard's form always sends it), never changed.
            let unchanged = try await api.send(
                .patch,
                "/v1/webhook-endpoints/\(listener.id)",
                key: key,
                json: #"{"url":"\#(listener.url)","description":"mine"}"#
            )
            #expect(unchanged.status == .ok, "\(unchanged.text)")
            let moved = try await api.send(
                .patch,
                "/v1/webhook-endpoints/\(listener.id)",
                key: key,
                json: #"{"url":"https://fail.portico.test/200"}"#
            )
            #expect(moved.status == .badRequest)
            portico.runtime.listeners.close(endpointID: listener.id)

            // A connection that is gone leaves no endpoint behind once no instance has marked it
            // held for the sweep's grace; one still open is marked on every sweep and kept.
            let open = try await portico.runtime.webhookEndpoints.createListener(events: ["*"], scope: portico.testScope, by: .cli)
            _ = portico.runtime.listeners.open(endpointID: open.id)
            #expect(portico.runtime.listeners.isOpen(endpointID: listener.id) == false)
            try await portico.runtime.sweepListenerEndpoints()
            #expect(try await api.send(.get, "/v1/webhook-endpoints/\(listener.id)", key: key).status == .ok, "too young to sweep")
            for _ in 0..<4 {
                portico.clock.advance(by: 30)
                try await portico.runtime.sweepListenerEndpoints()
            }
            #expect(try await api.send(.get, "/v1/webhook-endpoints/\(listener.id)", key: key).status == .notFound)
            let kept = try await api.send(.get, "/v1/webhook-endpoints/\(open.id)", key: key)
            #expect(kept.status == .ok, "held by this instance")
            let marked = try await portico.store.endpoint(id: open.id, scope: portico.testScope)?.updatedAt ?? 0
            #expect(marked >= open.createdAt + 120_000, "marked held by the last sweep")
            #expect(try await api.send(.get, "/v1/webhook-endpoints/\(ordinary.id)", key: key).status == .ok, "only listeners are swept")
            portico.runtime.listeners.close(endpointID: open.id)

            let unknown = try await api.send(.get, "/v1/webhook-endpoints/listen?events=*", key: key)
            #expect(unknown.status == .badRequest)
            let badPattern = try await api.send(.get, "/v1/webhook-endpoints/listen?enabled_events=no%20spaces", key: key)
            #expect(badPattern.status == .badRequest)
            let readOnly = try await api.send(.get, "/v1/webhook-endpoints/listen", key: portico.seed.keys.testPublishable)
            #expect(readOnly.status == .forbidden)
        }
    }
}
