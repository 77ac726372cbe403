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
                json: #"{"delivery_id":"whd_x","status":200}"#
            )
            #expect(notListener.status == .notFound)

            let listener = try await portico.runtime.webhookEndpoints.createListener(events: ["*"], scope: portico.testScope, by: .cli)
            _ = portico.runtime.listeners.open(endpointID: listener.id)
            let nothingWaiting = try await api.send(
                .post,
                "/v1/webhook-endpoints/\(listener.id)/listen-results",
                key: key,
                json: #"{"delivery_id":"whd_x","status":200}"#
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
                json: #"{"delivery_id":"whd_x","status":200}"#
            )
            #expect(otherMode.status == .notFound)
            #expect(otherMode.json["param"] as? String == "id")
            portico.runtime.listeners.close(endpointID: listener.id)

            let unknown = try await api.send(.get, "/v1/webhook-endpoints/listen?events=*", key: key)
            #expect(unknown.status == .badRequest)
            let badPattern = try await api.send(.get, "/v1/webhook-endpoints/listen?enabled_events=no%20spaces", key: key)
            #expect(badPattern.status == .badRequest)
            let readOnly = try await api.send(.get, "/v1/webhook-endpoints/listen", key: portico.seed.keys.testPublishable)
            #expect(readOnly.status == .forbidden)
        }
    }
}
