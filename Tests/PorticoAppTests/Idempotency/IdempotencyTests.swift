import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoStore
import Testing

@testable import PorticoApp

struct IdempotencyTests {
    static let create = #"{"name":"Idem"}"#

    @Test(arguments: ["abc-123", "\"abc-123\""])
    func replayIsByteIdenticalAndMarked(header: String) async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let first = try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: header])
            #expect(first.status == .ok)
            #expect(first.headers[.idempotentReplayed] == nil)
            // Bare and quoted forms name the same key.
            for form in ["abc-123", "\"abc-123\""] {
                let replay = try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: form])
                #expect(replay.status == .ok)
                #expect(replay.headers[.idempotentReplayed] == "true")
                #expect(replay.body == first.body)
                #expect(replay.requestID != first.requestID)
            }
            let list = try await api.send(.get, "/v1/customers", key: portico.testKey).json
            #expect((list["data"] as? [Any])?.count == 1)
        }
    }

    @Test func sameKeyWithDifferentBodyIs422() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: "k1"])
            let other = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"Other"}"#, headers: [.idempotencyKey: "k1"])
            ErrorTests.expectProblem(other, status: .unprocessableContent, code: "idempotency_key_reused")
        }
    }

    @Test func sameKeyWhileFirstIsRunningIs409() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            // Claim the key exactly as a running first request does.
            let claim = IdempotencySeal(scope: portico.testScope, key: "busy").lookupHash
            #expect(portico.runtime.idempotencyClaims.claim(claim))
            let second = try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: "busy"])
            ErrorTests.expectProblem(second, status: .conflict, code: "idempotency_request_in_progress")
            // Another tenant's key of the same text is not the same claim.
            let live = try await api.send(.post, "/v1/customers", key: portico.liveKey, json: Self.create, headers: [.idempotencyKey: "busy"])
            #expect(live.status == .ok)
            portico.runtime.idempotencyClaims.release(claim)
            let after = try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: "busy"])
            #expect(after.status == .ok)
        }
    }

    /// A replay hands the stored response (here a new key's secret) only to a
    /// key allowed to make the request: the scope is checked first.
    @Test func replayNeedsTheRoutesScope() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let body = #"{"kind":"secret"}"#
            let created = try await api.send(.post, "/v1/keys", key: portico.testKey, json: body, headers: [.idempotencyKey: "mint"])
            #expect(created.status == .ok)
            let reader = try await portico.issue(
                NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .restricted, scopes: ["keys:read"])
            )
            let replay = try await api.send(.post, "/v1/keys", key: reader.secret, json: body, headers: [.idempotencyKey: "mint"])
            ErrorTests.expectProblem(replay, status: .forbidden, code: "insufficient_scope")
            #expect(!replay.text.contains(created.json["secret"] as? String ?? "none"))
        }
    }

    @Test func refusedRequestsAreNotStored() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let invalid = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":1}"#, headers: [.idempotencyKey: "fixme"])
            #expect(invalid.status == .badRequest)
            let fixed = try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: "fixme"])
            #expect(fixed.status == .ok)
            #expect(fixed.headers[.idempotentReplayed] == nil)
        }
    }

    @Test(arguments: [String(repeating: "k", count: 256), "", "\"\"", "caf\u{e9}"])
    func invalidKeysAreRefused(header: String) async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: header])
            ErrorTests.expectProblem(response, status: .badRequest, code: "idempotency_key_invalid")
            let list = try await api.send(.get, "/v1/customers", key: portico.testKey).json
            #expect((list["data"] as? [Any])?.isEmpty == true)
        }
        #expect(String(repeating: "k", count: 255).count == IdempotencyLayer.maxKeyLength)
    }

    @Test func keysAreScopedToOrganizationAndMode() async throws {
        let portico = try await TestPortico.make()
        let other = try await portico.seedOtherOrganization()
        try await portico.run { (api: APIClient) async throws in
            var ids = Set<String>()
            for key in [portico.testKey, portico.liveKey, other.keys.testSecret] {
                let response = try await api.send(.post, "/v1/customers", key: key, json: Self.create, headers: [.idempotencyKey: "shared"])
                #expect(response.status == .ok)
                #expect(response.headers[.idempotentReplayed] == nil)
                ids.insert(try #require(response.json["id"] as? String))
            }
            #expect(ids.count == 3)
        }
    }

    @Test func recordsExpireAfterTheTTLAndArePruned() async throws {
        let portico = try await TestPortico.make { $0.idempotency.ttlHours = 24 }
        try await portico.run { (api: APIClient) async throws in
            try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: "old"])
            portico.clock.advance(by: 24 * 3_600 + 1)
            let reused = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"New"}"#, headers: [.idempotencyKey: "old"])
            #expect(reused.status == .ok)
            #expect(reused.headers[.idempotentReplayed] == nil)
            try await api.send(.post, "/v1/customers", key: portico.testKey, json: Self.create, headers: [.idempotencyKey: "other"])
            portico.clock.advance(by: 24 * 3_600 + 1)
            #expect(try await portico.store.pruneIdempotencyKeys(now: portico.clock.nowMilliseconds) == 2)
        }
    }

    @Test func getRequestsIgnoreTheHeader() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.get, "/v1/customers", key: portico.testKey, headers: [.idempotencyKey: "x"])
            #expect(response.status == .ok)
            #expect(response.headers[.idempotentReplayed] == nil)
        }
    }
}
