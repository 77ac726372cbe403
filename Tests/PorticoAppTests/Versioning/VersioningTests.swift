import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp
@testable import PorticoStore

/// Dated API versions: the header, the organization's pin, the echo, deprecation headers and the one shipped change.
struct VersioningTests {
    static let version = HTTPField.Name("Portico-Version")!
    /// The exact key set `POST /v1/keys/verify` answered with before 2026-11-22.
    static let oldVerificationKeys = ["code", "expires_at", "key_id", "kind", "limits", "livemode", "object", "organization", "scopes", "valid"]

    @Test func newOrganizationsGetTheNewestVersionAndTheOldPinKeepsItsExactShape() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let verify = #"{"key":"\#(portico.testKey)"}"#
            // The seeded organization is new: pinned to the newest version, echoed, not deprecated.
            let current = try await api.send(.post, "/v1/keys/verify", key: portico.testKey, json: verify)
            #expect(current.headers[Self.version] == APIVersions.current.id)
            #expect(current.headers[.init("Deprecation")!] == nil && current.headers[.init("Sunset")!] == nil)
            #expect(current.json["organization_id"] as? String == portico.organizationID && current.json["organization"] == nil)

            // The header asks for the old version: the old shape, byte for byte the same keys, plus deprecation headers.
            let old = try await api.send(.post, "/v1/keys/verify", key: portico.testKey, json: verify, headers: [Self.version: "2026-11-01"])
            #expect(old.status == .ok && old.headers[Self.version] == "2026-11-01")
            #expect(old.json.keys.sorted() == Self.oldVerificationKeys)
            #expect(old.json["organization"] as? String == portico.organizationID)
            let deprecatedAt = CivilTime.milliseconds(year: 2026, month: 11, day: 22) / 1_000
            #expect(old.headers[.init("Deprecation")!] == "@\(deprecatedAt)")
            #expect(old.headers[.init("Sunset")!] == "Sat, 22 May 2027 00:00:00 GMT")
            #expect(old.headers[.init("Link")!]?.contains("/docs/changelog>; rel=\"deprecation\"") == true)
            // Everything else is the same in both versions (remaining limits aside: the calls themselves used some).
            var stripped = current.json
            var oldJSON = old.json
            stripped["organization"] = stripped.removeValue(forKey: "organization_id")
            stripped["limits"] = nil
            oldJSON["limits"] = nil
            #expect(NSDictionary(dictionary: stripped) == NSDictionary(dictionary: oldJSON))

            // Responses the change does not touch pass through unchanged (and still carry the version).
            let list = try await api.send(.get, "/v1/customers", key: portico.testKey, headers: [Self.version: "2026-11-01"])
            let same = try await api.send(.get, "/v1/customers", key: portico.testKey)
            #expect(list.text == same.text && list.headers[Self.version] == "2026-11-01")

            // Errors carry the version too.
            let missing = try await api.send(.get, "/v1/customers/cus_nope", key: portico.testKey, headers: [Self.version: "2026-11-01"])
            #expect(missing.status == .notFound && missing.headers[Self.version] == "2026-11-01")
        }
    }

    @Test func theOrganizationsPinIsTheDefaultAndAnUnknownVersionIsRefused() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let token = try await owner.csrfToken("/dashboard/settings")
            #expect(
                try await owner.post("/dashboard/settings/api-version", [("csrf_token", token), ("api_version", "2026-11-01")]).status == .seeOther
            )
            #expect(try await portico.store.organization(id: portico.organizationID)?.apiVersion == "2026-11-01")
            #expect(try await owner.get("/dashboard/settings").text.contains("use <strong>2026-11-01</strong>"))

            let verify = #"{"key":"\#(portico.testKey)"}"#
            let pinned = try await api.send(.post, "/v1/keys/verify", key: portico.testKey, json: verify)
            #expect(pinned.headers[Self.version] == "2026-11-01" && pinned.json["organization"] as? String == portico.organizationID)
            // The header still wins over the pin.
            let asked = try await api.send(
                .post,
                "/v1/keys/verify",
                key: portico.testKey,
                json: verify,
                headers: [Self.version: APIVersions.current.id]
            )
            #expect(asked.headers[Self.version] == APIVersions.current.id && asked.json["organization_id"] != nil)

            // An unknown version is a 400 naming the header, and the request does nothing.
            let before = try await portico.store.customers(scope: portico.testScope, email: nil, page: PageRequest(limit: 100)).items.count
            let refused = try await api.send(
                .post,
                "/v1/customers",
                key: portico.testKey,
                json: #"{"name":"x"}"#,
                headers: [Self.version: "2020-01-01"]
            )
            #expect(
                refused.status == .badRequest && refused.json["code"] as? String == "parameter_invalid"
                    && refused.json["param"] as? String == "Portico-Version"
            )
            #expect(try await portico.store.customers(scope: portico.testScope, email: nil, page: PageRequest(limit: 100)).items.count == before)

            // An invalid pin posted by hand changes nothing.
            #expect(
                try await owner.post("/dashboard/settings/api-version", [("csrf_token", token), ("api_version", "1999-01-01")]).status == .badRequest
            )
            #expect(try await portico.store.organization(id: portico.organizationID)?.apiVersion == "2026-11-01")
        }
    }

    @Test func organizationsFromBeforeVersioningAreOnTheFirstVersion() async throws {
        let portico = try await TestPortico.make()
        try await portico.sqliteStore.pool.write { db in try db.execute(sql: "UPDATE organizations SET api_version = NULL") }
        try await portico.run { (api: APIClient) in
            let answer = try await api.send(.post, "/v1/keys/verify", key: portico.testKey, json: #"{"key":"\#(portico.testKey)"}"#)
            #expect(answer.headers[Self.version] == APIVersions.first.id && answer.json.keys.sorted() == Self.oldVerificationKeys)
        }
    }

    @Test func changesReachNestedObjectsAndRunNewestFirst() {
        var value: JSONValue = [
            "object": "list",
            "data": [["object": "key_verification", "organization_id": "org_1"], ["object": "customer", "organization_id": "keep"]],
        ]
        APIVersionMiddleware.apply(KeyVerificationOrganizationID(), to: &value)
        let expected: JSONValue = [
            "object": "list",
            "data": [["object": "key_verification", "organization": "org_1"], ["object": "customer", "organization_id": "keep"]],
        ]
        #expect(value == expected)
        #expect(APIVersions.changes(after: APIVersions.current.id).isEmpty)
        #expect(APIVersions.changes(after: "2026-11-01").map(\.summary) == APIVersions.current.changes.map(\.summary))
    }
}
