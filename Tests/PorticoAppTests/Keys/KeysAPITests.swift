import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import PorticoApp
@testable import PorticoStore

struct KeysAPITests {
    @Test func createListRollRevokeThroughTheAPI() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let created = try await api.send(
                .post,
                "/v1/keys",
                key: portico.testKey,
                json: #"{"kind":"restricted","scopes":["customers:read","logs:read"],"label":"ci","allowed_ips":["10.0.0.0/8"]}"#
            )
            #expect(created.status == .ok, "\(created.text)")
            let key = created.json
            let secret = try #require(key["secret"] as? String)
            #expect(secret.hasPrefix("rk_test_") && key["livemode"] as? Bool == false)
            #expect(key["scopes"] as? [String] == ["customers:read", "logs:read"])
            #expect(key["allowed_ips"] as? [String] == ["10.0.0.0/8"] && key["status"] as? String == "active")
            let id = key["id"] as! String

            let list = try await api.send(.get, "/v1/keys?limit=100", key: portico.testKey)
            #expect(list.list.contains { $0["id"] as? String == id })
            #expect(list.list.allSatisfy { $0["secret"] == nil && $0["livemode"] as? Bool == false })
            #expect(!list.text.contains(secret))

            let rolled = try await api.send(.post, "/v1/keys/\(id)/roll", key: portico.testKey, json: #"{"overlap_seconds":60}"#)
            #expect(rolled.status == .ok)
            let replacement = try #require(rolled.json["secret"] as? String)
            #expect(replacement != secret && rolled.json["scopes"] as? [String] == ["customers:read", "logs:read"])
            let revoked = try await api.send(.post, "/v1/keys/\(rolled.json["id"] as! String)/revoke", key: portico.testKey)
            #expect(revoked.json["status"] as? String == "revoked")

            // Other mode's key ids are unknown here.
            let liveKeys = try await api.send(.get, "/v1/keys", key: portico.liveKey).list.map { $0["id"] as! String }
            let crossMode = try await api.send(.post, "/v1/keys/\(liveKeys[0])/revoke", key: portico.testKey)
            ErrorTests.expectProblem(crossMode, status: .notFound, code: "resource_not_found", param: "id")
            let audit = try await portico.sqliteStore.pool.read { db in
                try String.fetchAll(
                    db,
                    sql: "SELECT action || ':' || actor_type FROM audit_log WHERE target_id IN (?, ?)",
                    arguments: [id, rolled.json["id"] as? String]
                )
            }
            #expect(
                audit.contains("api_key.created:api_key") && audit.contains("api_key.rolled:api_key") && audit.contains("api_key.revoked:api_key")
            )
        }
    }

    @Test func aKeyCannotCreateOrRollBeyondItsOwnScopes() async throws {
        let portico = try await TestPortico.make()
        let limited = try await portico.issue(
            NewKeyRequest(
                organizationID: portico.organizationID,
                livemode: false,
                kind: .restricted,
                scopes: ["keys:write", "keys:read", "customers:read"]
            )
        )
        try await portico.run { (api: APIClient) async throws in
            let escalate = try await api.send(.post, "/v1/keys", key: limited.secret, json: #"{"kind":"restricted","scopes":["customers:write"]}"#)
            ErrorTests.expectProblem(escalate, status: .forbidden, code: "insufficient_scope", param: "scopes")
            let secretKey = try await api.send(.post, "/v1/keys", key: limited.secret, json: #"{"kind":"secret"}"#)
            ErrorTests.expectProblem(secretKey, status: .forbidden, code: "insufficient_scope", param: "scopes")
            let narrower = try await api.send(.post, "/v1/keys", key: limited.secret, json: #"{"scopes":["customers:read"]}"#)
            #expect(narrower.status == .ok && narrower.json["livemode"] as? Bool == false)
            let ownKeys = try await api.send(.get, "/v1/keys?limit=100", key: limited.secret).list
            let secretID = try #require(ownKeys.first { $0["kind"] as? String == "secret" }?["id"] as? String)
            let roll = try await api.send(.post, "/v1/keys/\(secretID)/roll", key: limited.secret)
            ErrorTests.expectProblem(roll, status: .forbidden, code: "insufficient_scope")
            let narrowerSecret = try #require(narrower.json["secret"] as? String)
            let noWrite = try await api.send(.post, "/v1/keys", key: narrowerSecret, json: #"{"scopes":["customers:read"]}"#)
            ErrorTests.expectProblem(noWrite, status: .forbidden, code: "insufficient_scope")
            for (body, param) in [
                (#"{"kind":"root"}"#, "kind"), (#"{"scopes":["nope:read"]}"#, "scopes"),
                (#"{"scopes":["customers:read"],"expires_at":"2001-01-01T00:00:00Z"}"#, "expires_at"),
                (#"{"scopes":["customers:read"],"allowed_ips":["999.1.1.1"]}"#, "allowed_ips"),
                (#"{"scopes":["customers:read"],"livemode":true}"#, "livemode"),
            ] {
                let response = try await api.send(.post, "/v1/keys", key: portico.testKey, json: body)
                #expect(response.status == .badRequest && response.json["param"] as? String == param, "\(body): \(response.text)")
            }
        }
    }

    @Test func verifyAnswersForKeysOfTheSameTenantOnly() async throws {
        let portico = try await RateLimitTests.make(RateLimitTests.plan(perMinute: 20))
        let other = try await portico.seedOtherOrganization()
        let allowlisted = try await portico.issue(
            NewKeyRequest(
                organizationID: portico.organizationID,
                livemode: false,
                kind: .restricted,
                scopes: ["customers:read"],
                allowedCIDRs: ["10.0.0.0/8"]
            )
        )
        let expiring = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret, expiresAt: Date().addingTimeInterval(60))
        )
        let verifier = try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret))
        try await portico.run { (api: APIClient) async throws in
            func verify(_ key: String, ip: String? = nil) async throws -> [String: Any] {
                let body = ip.map { #"{"key":"\#(key)","ip":"\#($0)"}"# } ?? #"{"key":"\#(key)"}"#
                let response = try await api.send(.post, "/v1/keys/verify", key: verifier.secret, json: body)
                #expect(response.status == .ok, "\(response.text)")
                return response.json
            }
            let valid = try await verify(allowlisted.secret, ip: "10.1.2.3")
            #expect(valid["valid"] as? Bool == true && valid["code"] as? String == "valid")
            #expect(valid["key_id"] as? String == allowlisted.id && valid["organization_id"] as? String == portico.organizationID)
            #expect(valid["scopes"] as? [String] == ["customers:read"] && valid["livemode"] as? Bool == false)
            #expect((valid["limits"] as? [[String: Any]])?.first { $0["name"] as? String == "key-minute" }?["remaining"] as? Int == 20)
            #expect(try await verify(allowlisted.secret, ip: "192.168.1.1")["code"] as? String == "forbidden_ip")
            let foreign = try await verify(other.keys.testSecret)
            #expect(foreign["code"] as? String == "not_found" && foreign["valid"] as? Bool == false && foreign["organization_id"] is NSNull)
            #expect(try await verify(portico.liveKey)["code"] as? String == "not_found")
            #expect(try await verify("sk_test_garbage")["code"] as? String == "not_found")
            portico.clock.advance(by: 120)
            #expect(try await verify(expiring.secret)["code"] as? String == "expired")
            _ = try await portico.runtime.keys.revoke(id: allowlisted.id, organizationID: portico.organizationID, by: .cli)
            #expect(try await verify(allowlisted.secret)["code"] as? String == "revoked")
            // Exhaust the seeded key's minute, then verify reports it without spending more.
            for _ in 0..<20 { _ = try await api.send(.get, "/v1/customers", key: portico.testKey) }
            let limited = try await verify(portico.testKey)
            #expect(limited["code"] as? String == "rate_limited" && limited["valid"] as? Bool == false)
            let missing = try await api.send(.post, "/v1/keys/verify", key: verifier.secret, json: "{}")
            ErrorTests.expectProblem(missing, status: .badRequest, code: "parameter_missing", param: "key")
        }
    }
}
