import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoStore
import Testing

@testable import PorticoApp

/// A failure between a request's commit and its response (the injected
/// `after-commit` fault answers 500 there) must never let a retry with the
/// same `Idempotency-Key` run the work again: the response was stored in
/// the request's own transaction, so the retry replays it. Every POST route
/// that writes is listed; one that stored its response in a second
/// transaction would answer 2xx despite the fault and fail here.
struct IdempotencyFaultTests {
    /// One POST route: how to reach it (after any setup it needs) and how to count its effect through the API.
    struct Route: Sendable, CustomTestStringConvertible {
        var name: String
        var json: String
        /// Makes what the route acts on; returns its path.
        var prepare: @Sendable (APIClient, TestPortico) async throws -> String
        /// A list whose length grows by one per run (nil: the route's effect is not countable by a list).
        var effects: String?
        /// Called with a platform key acting for the organization (a platform-only route).
        var platform = false

        var testDescription: String { name }
    }

    static let routes: [Route] = [
        Route(name: "create customer", json: #"{"name":"Ada"}"#, prepare: { _, _ in "/v1/customers" }, effects: "/v1/customers?limit=100"),
        Route(name: "create key", json: #"{"kind":"secret"}"#, prepare: { _, _ in "/v1/keys" }, effects: "/v1/keys?limit=100"),
        Route(
            name: "roll key",
            json: "{}",
            prepare: { api, portico in "/v1/keys/\(try await Self.makeKey(api, portico))/roll" },
            effects: "/v1/keys?limit=100"
        ),
        Route(
            name: "revoke key",
            json: "{}",
            prepare: { api, portico in "/v1/keys/\(try await Self.makeKey(api, portico))/revoke" },
            effects: nil
        ),
        Route(
            name: "create event",
            json: #"{"type":"order.created","data":{"n":1}}"#,
            prepare: { _, _ in "/v1/events" },
            effects: "/v1/events?limit=100"
        ),
        Route(
            name: "create endpoint",
            json: #"{"url":"http://127.0.0.1:9/hook","enabled_events":["*"]}"#,
            prepare: { _, _ in "/v1/webhook-endpoints" },
            effects: "/v1/webhook-endpoints?limit=100"
        ),
        Route(
            name: "rotate endpoint secret",
            json: #"{"overlap_seconds":0}"#,
            prepare: { api, portico in "/v1/webhook-endpoints/\(try await Self.makeEndpoint(api, portico))/rotate-secret" },
            effects: nil
        ),
        Route(
            name: "send test event",
            json: "{}",
            prepare: { api, portico in "/v1/webhook-endpoints/\(try await Self.makeEndpoint(api, portico))/test" },
            effects: "/v1/events?limit=100"
        ),
        Route(
            name: "replay endpoint",
            json: "{}",
            prepare: { api, portico in "/v1/webhook-endpoints/\(try await Self.makeEndpoint(api, portico))/replay" },
            effects: nil
        ),
        Route(
            name: "retry delivery",
            json: "{}",
            prepare: { api, portico in
                let endpoint = try await Self.makeEndpoint(api, portico)
                let event = try await api.send(.post, "/v1/webhook-endpoints/\(endpoint)/test", key: portico.testKey).json
                let deliveries = try await api.send(.get, "/v1/webhook-deliveries?event=\(event["id"] as? String ?? "")", key: portico.testKey)
                return "/v1/webhook-deliveries/\(deliveries.list.first?["id"] as? String ?? "none")/retry"
            },
            effects: nil
        ),
        Route(
            name: "record usage",
            json: #"{"metric":"tokens","quantity":5,"idempotency_key":"job-1"}"#,
            prepare: { _, _ in "/v1/usage-records" },
            effects: nil,
            platform: true
        ),
    ]

    @Test(arguments: routes)
    func failureAfterTheCommitIsReplayedNeverRunTwice(route: Route) async throws {
        let portico = try await TestPortico.make { $0.gateway.metrics = ["tokens": "Tokens"] }
        try await portico.run { (api: APIClient) async throws in
            let path = try await route.prepare(api, portico)
            var before: Int?
            if let effects = route.effects { before = try await api.send(.get, effects, key: portico.testKey).list.count }
            var headers: HTTPFields = [.idempotencyKey: "fault-\(UUID().uuidString)"]
            var key = portico.testKey
            if route.platform {
                key = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
                headers[.porticoOrganization] = portico.organizationID
            }

            portico.runtime.faults.set(.afterCommit, .fail)
            let failed = try await api.send(.post, path, key: key, json: route.json, headers: headers)
            portico.runtime.faults.set(.afterCommit, nil)
            ErrorTests.expectProblem(failed, status: .internalServerError, code: "internal_error")

            let retried = try await api.send(.post, path, key: key, json: route.json, headers: headers)
            #expect((200..<300).contains(retried.status.code), "\(retried.text)")
            #expect(retried.headers[.idempotentReplayed] == "true", "the retry ran the work again")
            let again = try await api.send(.post, path, key: key, json: route.json, headers: headers)
            #expect(again.body == retried.body)
            if let effects = route.effects, let before {
                #expect(try await api.send(.get, effects, key: portico.testKey).list.count == before + 1)
            }
        }
    }

    @Test func rotatedSecretIsReplayedAndRotatedOnce() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let endpoint = try await Self.makeEndpoint(api, portico)
            let path = "/v1/webhook-endpoints/\(endpoint)/rotate-secret"
            let headers: HTTPFields = [.idempotencyKey: "rotate-once"]
            portico.runtime.faults.set(.afterCommit, .fail)
            #expect(try await api.send(.post, path, key: portico.testKey, json: "{}", headers: headers).status == .internalServerError)
            portico.runtime.faults.set(.afterCommit, nil)
            let replayed = try await api.send(.post, path, key: portico.testKey, json: "{}", headers: headers).json
            let current = try await api.send(.get, "/v1/webhook-endpoints/\(endpoint)/secret", key: portico.testKey).json
            #expect(replayed["secret"] as? String == current["secret"] as? String)
        }
    }

    @Test func requestThatWroteNothingIsStillReplayed() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let body = #"{"key":"\#(portico.testKey)"}"#
            let first = try await api.send(.post, "/v1/keys/verify", key: portico.testKey, json: body, headers: [.idempotencyKey: "v1"])
            let second = try await api.send(.post, "/v1/keys/verify", key: portico.testKey, json: body, headers: [.idempotencyKey: "v1"])
            #expect(first.status == .ok)
            #expect(second.headers[.idempotentReplayed] == "true")
            #expect(second.body == first.body)
        }
    }

    static func makeKey(_ api: APIClient, _ portico: TestPortico) async throws -> String {
        try #require(try await api.send(.post, "/v1/keys", key: portico.testKey, json: #"{"kind":"secret"}"#).json["id"] as? String)
    }

    static func makeEndpoint(_ api: APIClient, _ portico: TestPortico) async throws -> String {
        try await api.createEndpoint(key: portico.testKey, url: "http://127.0.0.1:9/hook").id
    }
}
