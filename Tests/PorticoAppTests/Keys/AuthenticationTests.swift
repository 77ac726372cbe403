import Foundation
import HTTPTypes
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

struct AuthenticationTests {
    @Test func everyKindOfBadKeyGetsTheIdenticalProblem() async throws {
        let portico = try await TestPortico.make()
        let revoked = try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret))
        try await portico.runtime.keys.revoke(id: revoked.id, organizationID: portico.organizationID, by: .cli)
        let expiring = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret, expiresAt: Date().addingTimeInterval(60))
        )
        portico.clock.advance(by: 120)
        let unknown = APIKeyFormat.generate(kind: .secret, livemode: false).token
        var typo = Array(portico.testKey)
        typo[typo.count - 1] = typo.last == "A" ? "B" : "A"
        let checksumTypo = String(typo)

        try await portico.run { (api: APIClient) async throws in
            var problems: [[String: String]] = []
            for key in [unknown, revoked.secret, expiring.secret, "sk_test_short", checksumTypo] {
                let response = try await api.send(.get, "/v1/customers", key: key)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == "application/problem+json")
                problems.append(response.problemWithoutRequestID)
            }
            #expect(Set(problems).count == 1, "401 bodies differ: \(problems)")
            #expect(problems[0]["code"] == "invalid_api_key")
            let basic = try await api.send(.get, "/v1/customers", headers: [.authorization: "Basic abc"])
            #expect(basic.problemWithoutRequestID == problems[0])
        }
    }

    @Test func missingHeaderSaysHowToAuthenticate() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.get, "/v1/customers")
            #expect(response.status == .unauthorized)
            #expect(response.json["code"] as? String == "authentication_required")
        }
    }

    @Test func keyInQueryStringIsRefusedEvenWithAValidHeader() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            for query in ["api_key=\(portico.testKey)", "x=\(portico.testKey)", "access_token=abc"] {
                let response = try await api.send(.get, "/v1/customers?\(query)", key: portico.testKey)
                #expect(response.status == .unauthorized)
                #expect(response.json["code"] as? String == "api_key_in_query")
                #expect((response.json["detail"] as? String)?.contains("Authorization: Bearer") == true)
            }
        }
    }

    /// The rule behind `api_key_in_query`, case by case: a credential's name, or a value shaped
    /// like a key (also percent-encoded); list parameters and look-alikes pass.
    @Test(arguments: [
        ("api_key=x", true), ("API_KEY=", true), ("limit=3&Token", true), ("a=1&key=2", true), ("access_token=abc", true),
        ("x=sk_test_abc", true), ("x=rk_live_123", true), ("x=sk%5Ftest%5Fabc", true), ("limit=10&starting_after=pk_test_9", true),
        ("limit=10", false), ("limit=10&starting_after=cus_123", false), ("keyword=key", false), ("x=%zz", false),
        ("x=sk_other", false), ("", false), ("x=a_sk_live_", false), ("=sk_tes", false),
    ])
    func queryCarriesKeyFindsCredentialNamesAndKeyShapedValues(query: String, carries: Bool) {
        #expect(APIGatewayMiddleware.queryCarriesKey(query) == carries, "\(query)")
    }

    @Test func missingScopeIs403NamingTheScope() async throws {
        let portico = try await TestPortico.make()
        let readOnly = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .restricted, scopes: ["customers:read"])
        )
        try await portico.run { (api: APIClient) async throws in
            #expect(try await api.send(.get, "/v1/customers", key: readOnly.secret).status == .ok)
            let denied = try await api.send(.post, "/v1/customers", key: readOnly.secret, json: #"{"name":"x"}"#)
            #expect(denied.status == .forbidden)
            #expect(denied.json["code"] as? String == "insufficient_scope")
            #expect((denied.json["detail"] as? String)?.contains("customers:write") == true)
            let publishable = try await api.send(.post, "/v1/customers", key: portico.seed.keys.testPublishable, json: #"{"name":"x"}"#)
            #expect(publishable.status == .forbidden)
            #expect(try await api.send(.get, "/v1/customers", key: portico.seed.keys.testPublishable).status == .ok)
        }
    }

    @Test func publishableKeysCannotBeGivenWriteScopes() async throws {
        let portico = try await TestPortico.make()
        await #expect(throws: KeyRequestError.self) {
            try await portico.issue(
                NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .publishable, scopes: ["customers:write"])
            )
        }
        await #expect(throws: KeyRequestError.self) {
            try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .restricted, scopes: ["root"]))
        }
    }

    @Test func ipAllowlistAdmitsOnlyListedNetworks() async throws {
        let portico = try await TestPortico.make()
        let elsewhere = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret, allowedCIDRs: ["10.0.0.0/8", "2001:db8::/32"])
        )
        let loopback = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret, allowedCIDRs: ["127.0.0.0/8", "::1"])
        )
        await #expect(throws: KeyRequestError.self) {
            try await portico.issue(
                NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret, allowedCIDRs: ["10.0.0.0/40"])
            )
        }
        try await portico.run { (api: APIClient) async throws in
            let denied = try await api.send(.get, "/v1/customers", key: elsewhere.secret)
            #expect(denied.status == .forbidden)
            #expect(denied.json["code"] as? String == "ip_not_allowed")
            #expect(try await api.send(.get, "/v1/customers", key: loopback.secret).status == .ok)
        }
    }

    @Test func revokeTakesEffectOnTheNextRequest() async throws {
        let portico = try await TestPortico.make()
        let key = try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret))
        try await portico.run { (api: APIClient) async throws in
            #expect(try await api.send(.get, "/v1/customers", key: key.secret).status == .ok)
            try await portico.runtime.keys.revoke(id: key.id, organizationID: portico.organizationID, by: .cli)
            #expect(try await api.send(.get, "/v1/customers", key: key.secret).status == .unauthorized)
        }
        let audit = try await portico.store.auditEntries(targetId: key.id).map(\.action)
        #expect(audit == ["api_key.created", "api_key.revoked"])
    }

    @Test func revokeByAnotherProcessIsSeenAtTheNextCacheRefresh() async throws {
        let portico = try await TestPortico.make()
        let key = try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret))
        try await portico.runtime.authenticator.refreshIfChanged()
        try await portico.run { (api: APIClient) async throws in
            #expect(try await api.send(.get, "/v1/customers", key: key.secret).status == .ok)
            // A second connection to the same file, as `portico key revoke` would open.
            let cli = try SQLiteStore(configuration: StoreConfiguration(path: portico.databasePath))
            let clock = SystemClock()
            _ = try await KeyService(store: cli, clock: clock, authenticator: nil).revoke(
                id: key.id,
                organizationID: portico.organizationID,
                by: .cli
            )
            try await portico.runtime.authenticator.refreshIfChanged()
            #expect(try await api.send(.get, "/v1/customers", key: key.secret).status == .unauthorized)
        }
    }

    @Test func rolledKeyKeepsWorkingForTheOverlapOnly() async throws {
        let portico = try await TestPortico.make()
        let old = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .restricted, scopes: ["customers:read"])
        )
        let rolled = try await portico.runtime.keys.roll(id: old.id, organizationID: portico.organizationID, overlap: 3_600, by: .cli)
        let replacement = try #require(rolled)
        #expect(replacement.record.scopes == "customers:read")
        // A key is rolled once; its replacement is what rolls next.
        await #expect(throws: StoreError.self) {
            try await portico.runtime.keys.roll(id: old.id, organizationID: portico.organizationID, overlap: 0, by: .cli)
        }
        #expect(replacement.secret != old.secret)
        try await portico.run { (api: APIClient) async throws in
            #expect(try await api.send(.get, "/v1/customers", key: old.secret).status == .ok)
            #expect(try await api.send(.get, "/v1/customers", key: replacement.secret).status == .ok)
            portico.clock.advance(by: 3_601)
            #expect(try await api.send(.get, "/v1/customers", key: old.secret).status == .unauthorized)
            #expect(try await api.send(.get, "/v1/customers", key: replacement.secret).status == .ok)
        }
        let audit = try await portico.store.auditEntries(targetId: old.id).map(\.action)
        #expect(audit == ["api_key.created", "api_key.rolled"])
    }

    @Test func expiredKeysCannotBeRolled() async throws {
        let portico = try await TestPortico.make()
        let key = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret, expiresAt: Date().addingTimeInterval(60))
        )
        portico.clock.advance(by: 61)
        await #expect(throws: KeyRequestError.self) {
            try await portico.runtime.keys.roll(id: key.id, organizationID: portico.organizationID, overlap: 60, by: .cli)
        }
    }

    @Test func validKeyIsServedFromCacheAndLastUsedIsBatched() async throws {
        // The periodic flush must not run during the test, however slow the machine.
        let portico = try await TestPortico.make { $0.keys.lastUsedFlushMs = 3_600_000 }
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<20 {
                #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok)
            }
            #expect(portico.runtime.authenticator.databaseLookups == 1)
            let keyID = try await portico.store.apiKeys(organizationId: portico.organizationID, livemode: false)
                .first { $0.kind == "secret" }!.id
            #expect(try await portico.store.apiKey(id: keyID, organizationId: portico.organizationID)?.lastUsedAt == nil)
            try await portico.runtime.flushKeyUsage()
            #expect(try await portico.store.apiKey(id: keyID, organizationId: portico.organizationID)?.lastUsedAt != nil)
        }
    }

    @Test func unknownKeysAreCachedAsAbsentToo() async throws {
        let portico = try await TestPortico.make()
        let unknown = APIKeyFormat.generate(kind: .secret, livemode: true).token
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<5 { try await api.send(.get, "/v1/customers", key: unknown) }
            #expect(portico.runtime.authenticator.databaseLookups == 1)
            // A malformed key never reaches the database at all.
            try await api.send(.get, "/v1/customers", key: "sk_test_nope")
            #expect(portico.runtime.authenticator.databaseLookups == 1)
        }
    }
}
