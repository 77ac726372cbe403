import Foundation
import HTTPTypes
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Platform keys: the team's backend acting for the organization it names.
struct PlatformKeyTests {
    static func make() async throws -> TestPortico {
        try await TestPortico.make { $0.gateway.metrics = ["tokens": "Model tokens"] }
    }

    static func acting(for organization: String) -> HTTPFields { [.porticoOrganization: organization] }

    @Test func aPlatformKeyActsForTheOrganizationItNames() async throws {
        let portico = try await Self.make()
        let other = try await portico.seedOtherOrganization()
        try await portico.run { api in
            let platform = try await portico.runtime.platformKeys.create(livemode: false, label: "backend", by: .cli).secret
            #expect(platform.hasPrefix("tk_test_"))

            let event = try await api.send(
                .post,
                "/v1/events",
                key: platform,
                json: #"{"type":"order.shipped","data":{"order":"o1"}}"#,
                headers: Self.acting(for: portico.organizationID)
            )
            #expect(event.status == .ok)
            #expect(event.json["livemode"] as? Bool == false)
            let seen = try await api.send(.get, "/v1/events/\(event.json["id"] as? String ?? "")", key: portico.testKey)
            #expect(seen.status == .ok)
            #expect(try await api.send(.get, "/v1/events/\(event.json["id"] as? String ?? "")", key: other.keys.testSecret).status == .notFound)

            // Keys and usage of whichever organization it names, never their secrets.
            let keys = try await api.send(.get, "/v1/keys", key: platform, headers: Self.acting(for: other.organizationID))
            #expect(keys.status == .ok)
            #expect(!keys.list.isEmpty)
            #expect(keys.list.allSatisfy { $0["secret"] == nil && ($0["livemode"] as? Bool) == false })
            #expect(try await api.send(.get, "/v1/usage", key: platform, headers: Self.acting(for: other.organizationID)).status == .ok)

            // Nothing else: not the organization's customers, not its keys' creation.
            let customers = try await api.send(.get, "/v1/customers", key: platform, headers: Self.acting(for: portico.organizationID))
            #expect(customers.status == .forbidden)
            let create = try await api.send(.post, "/v1/keys", key: platform, json: "{}", headers: Self.acting(for: portico.organizationID))
            #expect(create.status == .forbidden)
        }
    }

    @Test func theOrganizationHeaderIsRequiredValidAndOnlyForPlatformKeys() async throws {
        let portico = try await Self.make()
        try await portico.run { api in
            let platform = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
            let missing = try await api.send(.get, "/v1/keys", key: platform)
            #expect(missing.status == .badRequest)
            #expect(missing.json["param"] as? String == "Portico-Organization")
            let unknown = try await api.send(.get, "/v1/keys", key: platform, headers: Self.acting(for: "org_nope"))
            #expect(unknown.status == .notFound)
            #expect(unknown.json["param"] as? String == "Portico-Organization")
            // A tenant key cannot borrow another organization with the header.
            let other = try await portico.seedOtherOrganization()
            let borrowed = try await api.send(.get, "/v1/keys", key: portico.testKey, headers: Self.acting(for: other.organizationID))
            #expect(borrowed.status == .badRequest)
            #expect(borrowed.json["param"] as? String == "Portico-Organization")
        }
    }

    @Test func tenantsCanNeitherMakePlatformKeysNorCallPlatformRoutes() async throws {
        let portico = try await Self.make()
        try await portico.run { api in
            let made = try await api.send(.post, "/v1/keys", key: portico.testKey, json: #"{"kind":"platform"}"#)
            #expect(made.status == .badRequest)
            let record = try await api.send(
                .post,
                "/v1/usage-records",
                key: portico.testKey,
                json: #"{"metric":"tokens","quantity":1,"idempotency_key":"a"}"#
            )
            #expect(record.status == .forbidden)
            #expect(record.json["code"] as? String == "platform_key_required")
        }
    }

    @Test func everyCallIsAuditedAsThePlatformKeyAndNeitherLoggedForTheTenantNorMetered() async throws {
        let portico = try await Self.make()
        try await portico.run { api in
            let (id, platform) = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli)
            _ = try await api.send(.get, "/v1/keys", key: platform, headers: Self.acting(for: portico.organizationID))
            _ = try await api.send(.get, "/v1/usage", key: platform, headers: Self.acting(for: portico.organizationID))
            await portico.flushLogs()

            let audit = try await portico.store.auditEntries(organizationId: portico.organizationID, page: PageRequest(limit: 100)).items
            let calls = audit.filter { $0.action == "platform_key.request" }
            #expect(calls.count == 2)
            #expect(calls.allSatisfy { $0.actorType == "api_key" && $0.actorId == id && id.hasPrefix("pkey_") })
            // The organization was charged no requests, and its request logs do not show the team's calls.
            let requests = try await portico.store.usageTotal(scope: portico.testScope, metric: UsageMetric.requests, from: 0, until: Int64.max)
            #expect(requests == 0)
            let logs = try await api.send(.get, "/v1/request-logs?limit=100", key: portico.testKey).list
            #expect(logs.isEmpty)
        }
    }

    @Test func aPlatformKeyIsNotCountedAgainstTheOrganizationsRouteLimits() async throws {
        let portico = try await TestPortico.make { config in
            config.gateway.metrics = ["tokens": "Model tokens"]
            config.rateLimits.routes["POST /v1/usage-records"] = RouteLimit(perSecond: nil, perMinute: 1)
        }
        try await portico.run { api in
            let platform = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
            for job in 1...3 {
                let body = #"{"metric":"tokens","quantity":1,"idempotency_key":"job-\#(job)"}"#
                let recorded = try await api.send(
                    .post,
                    "/v1/usage-records",
                    key: platform,
                    json: body,
                    headers: Self.acting(for: portico.organizationID)
                )
                #expect(recorded.status == .ok)
            }
        }
    }

    @Test func aRevokedPlatformKeyIsRefused() async throws {
        let portico = try await Self.make()
        try await portico.run { api in
            let (id, platform) = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli)
            #expect(try await api.send(.get, "/v1/keys", key: platform, headers: Self.acting(for: portico.organizationID)).status == .ok)
            #expect(try await portico.runtime.platformKeys.revoke(id: id, by: .cli))
            let refused = try await api.send(.get, "/v1/keys", key: platform, headers: Self.acting(for: portico.organizationID))
            #expect(refused.status == .unauthorized)
        }
    }

    @Test func usageRecordsAreCountedOncePerIdempotencyKey() async throws {
        let portico = try await Self.make()
        try await portico.run { api in
            let platform = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
            let headers = Self.acting(for: portico.organizationID)
            let body = #"{"metric":"tokens","quantity":1234,"idempotency_key":"job-42"}"#
            let first = try await api.send(.post, "/v1/usage-records", key: platform, json: body, headers: headers)
            #expect(first.status == .ok)
            #expect(first.json["object"] as? String == "usage_record")
            #expect(first.json["quantity"] as? Int == 1_234)
            let again = try await api.send(.post, "/v1/usage-records", key: platform, json: body, headers: headers)
            #expect(again.json["id"] as? String == first.json["id"] as? String)
            let changed = try await api.send(
                .post,
                "/v1/usage-records",
                key: platform,
                json: #"{"metric":"tokens","quantity":1,"idempotency_key":"job-42"}"#,
                headers: headers
            )
            #expect(changed.status == .unprocessableContent)

            let usage = try await api.send(.get, "/v1/usage?metric=tokens", key: portico.testKey)
            let total = usage.list.compactMap { $0["quantity"] as? Int }.reduce(0, +)
            #expect(total == 1_234)
            let audit = try await portico.store.auditEntries(organizationId: portico.organizationID, page: PageRequest(limit: 100)).items
            #expect(audit.filter { $0.action == "usage_record.created" }.count == 1)
        }
    }

    @Test(arguments: [
        (#"{"metric":"pages","quantity":1,"idempotency_key":"a"}"#, "metric"),
        (#"{"metric":"tokens","quantity":0,"idempotency_key":"a"}"#, "quantity"),
        (#"{"metric":"tokens","quantity":1.5,"idempotency_key":"a"}"#, "quantity"),
        (#"{"metric":"tokens","quantity":1}"#, "idempotency_key"),
        (#"{"metric":"tokens","quantity":1,"idempotency_key":"a","timestamp":"2020-01-01T00:00:00Z"}"#, "timestamp"),
        (#"{"metric":"tokens","quantity":1,"idempotency_key":"a","extra":1}"#, "extra"),
    ])
    func anInvalidUsageRecordNamesItsField(json: String, param: String) async throws {
        let portico = try await Self.make()
        try await portico.run { api in
            let platform = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
            let response = try await api.send(
                .post,
                "/v1/usage-records",
                key: platform,
                json: json,
                headers: Self.acting(for: portico.organizationID)
            )
            #expect(response.status == .badRequest)
            #expect(response.json["param"] as? String == param)
        }
    }
}
