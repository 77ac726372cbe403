import Foundation
import HTTPTypes
import PorticoCore
import Testing

@testable import PorticoApp

/// Test-mode endpoints on `fail.portico.test`: each path's failure is
/// recorded as a real attempt of its kind (nothing is sent), a 410 disables
/// the endpoint, and live mode and unknown paths are refused at creation.
@Suite struct SimulatedReceiverTests {
    @Test func eachPathFailsAsItSays() async throws {
        let portico = try await TestPortico.make { $0.webhooks.timeoutSeconds = 1 }
        try await portico.run { (api: APIClient) async throws in
            let key = portico.testKey
            let expected: [(path: String, kind: String, status: Int?)] = [
                ("/timeout", "timeout", nil), ("/500", "http", 500), ("/tls", "tls", nil), ("/refused", "refused", nil),
                ("/slow", "timeout", nil), ("/410", "http", 410), ("/200", "", 200),
            ]
            var endpoints: [String: String] = [:]
            for item in expected {
                endpoints[item.path] = try await api.createEndpoint(key: key, url: "https://fail.portico.test\(item.path)").id
            }
            try await api.postEvent(key: key)
            for item in expected {
                let endpoint = try #require(endpoints[item.path])
                let delivery = try await api.delivery(key: key, endpoint: endpoint, attempts: 1)
                let attempt = try #require(delivery.attempts.first, "\(item.path): \(delivery)")
                #expect((attempt["error_kind"] as? String ?? "") == item.kind, "\(item.path): \(attempt)")
                #expect(attempt["status_code"] as? Int == item.status, "\(item.path): \(attempt)")
                if item.path == "/200" {
                    #expect(delivery["status"] as? String == "succeeded")
                } else if item.path == "/410" {
                    #expect(delivery["status"] as? String == "dead")
                    let disabled = try await api.send(.get, "/v1/webhook-endpoints/\(endpoint)", key: key)
                    #expect(disabled.json["status"] as? String == "disabled", "\(disabled.text)")
                } else {
                    #expect(delivery["status"] as? String == "failed", "\(item.path)")
                    #expect(delivery["next_attempt_at"] is String, "\(item.path): a retry is scheduled like a real failure's")
                }
                if item.path == "/slow" {
                    #expect((attempt["duration_ms"] as? Int ?? 0) >= 1_000, "the slow receiver uses up the 1 s timeout: \(attempt)")
                }
            }
        }
    }

    @Test func liveModeAndUnknownPathsAreRefused() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let live = try await api.send(
                .post,
                "/v1/webhook-endpoints",
                key: portico.liveKey,
                json: #"{"url":"https://fail.portico.test/500","enabled_events":["*"]}"#
            )
            #expect(live.status == .badRequest)
            #expect(live.json["param"] as? String == "url")
            #expect((live.json["detail"] as? String)?.contains("test mode only") == true)

            let unknown = try await api.send(
                .post,
                "/v1/webhook-endpoints",
                key: portico.testKey,
                json: #"{"url":"https://fail.portico.test/teapot","enabled_events":["*"]}"#
            )
            #expect(unknown.status == .badRequest)
            #expect((unknown.json["detail"] as? String)?.contains("/refused") == true)
            #expect(try await api.send(.get, "/v1/webhook-endpoints", key: portico.liveKey).list.isEmpty)
            #expect(try await api.send(.get, "/v1/webhook-endpoints", key: portico.testKey).list.isEmpty)
        }
    }
}
