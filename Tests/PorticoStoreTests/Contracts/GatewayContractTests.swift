import Foundation
import PorticoCore
import PorticoStore
import Testing

/// Gateway signing keys, platform keys and recorded usage, on every engine.
struct GatewayContractTests {
    static func signingKey(_ id: String, at time: Int64) -> SigningKeyRecord {
        SigningKeyRecord(id: id, algorithm: "ES256", privateKey: "enc1:\(id)", createdAt: time)
    }

    @Test(arguments: StoreEngine.all)
    func aRotationRetiresTheSigningKeyAtTheOverlapsEnd(engine: StoreEngine) async throws {
        try await engine.with { store in
            #expect(try await store.addSigningKey(Self.signingKey("sigkey_a", at: Fixtures.now), retireOthersAt: Fixtures.now, onlyIfNone: true))
            // A second first start finds one and adds nothing.
            #expect(!(try await store.addSigningKey(Self.signingKey("sigkey_x", at: Fixtures.now), retireOthersAt: Fixtures.now, onlyIfNone: true)))
            let later = Fixtures.now + 1_000
            try await store.addSigningKey(Self.signingKey("sigkey_b", at: later), retireOthersAt: later + Fixtures.hour, onlyIfNone: false)

            let published = try await store.signingKeys(now: later)
            #expect(published.map(\.id) == ["sigkey_b", "sigkey_a"])
            #expect(published.map(\.retiresAt) == [nil, later + Fixtures.hour])
            #expect(try await store.signingKeys(now: later + Fixtures.hour).map(\.id) == ["sigkey_b"])
        }
    }

    static func platformKey(_ id: String, livemode: Bool = false) -> PlatformKeyRecord {
        PlatformKeyRecord(
            id: id,
            livemode: livemode,
            label: "backend",
            secretHash: Fixtures.secretHash(),
            prefix: livemode ? "tk_live_" : "tk_test_",
            last4: "abcd",
            createdAt: Fixtures.now,
            updatedAt: Fixtures.now
        )
    }

    @Test(arguments: StoreEngine.all)
    func platformKeysAreFoundByHashRevokedOnceAndAudited(engine: StoreEngine) async throws {
        try await engine.with { store in
            let key = Self.platformKey("pkey_1")
            let before = try await store.apiKeysRevision()
            try await store.insertPlatformKey(
                key,
                audit: Fixtures.audit("platform_key.created", organization: nil, target: key.id, type: "platform_key", at: Fixtures.now)
            )
            #expect(try await store.apiKeysRevision() != before)
            #expect(try await store.platformKey(secretHash: key.secretHash) == key)
            #expect(try await store.platformKey(secretHash: Fixtures.secretHash()) == nil)
            #expect(try await store.platformKeys() == [key])

            let revoked = try await store.revokePlatformKey(
                id: key.id,
                at: Fixtures.now + 5,
                audit: Fixtures.audit("platform_key.revoked", organization: nil, target: key.id, type: "platform_key", at: Fixtures.now + 5)
            )
            #expect(revoked?.revokedAt == Fixtures.now + 5)
            let again = try await store.revokePlatformKey(
                id: key.id,
                at: Fixtures.now + 9,
                audit: Fixtures.audit("platform_key.revoked", organization: nil, target: key.id, type: "platform_key", at: Fixtures.now + 9)
            )
            #expect(again?.revokedAt == Fixtures.now + 5)
            #expect(try await store.auditEntries(targetId: key.id).map(\.action) == ["platform_key.created", "platform_key.revoked"])
            #expect(
                try await store.revokePlatformKey(
                    id: "pkey_none",
                    at: Fixtures.now,
                    audit: Fixtures.audit("x", organization: nil, target: "pkey_none", type: "platform_key")
                )
                    == nil
            )
        }
    }

    @Test(arguments: StoreEngine.all)
    func usageIsRecordedOncePerIdempotencyKeyIntoItsHour(engine: StoreEngine) async throws {
        try await engine.with { store in
            let organization = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(organization)
            let at = Fixtures.now + 90 * 60_000
            let record = UsageRecord(
                id: "ur_1",
                organizationId: organization.id,
                livemode: false,
                metric: "tokens",
                quantity: 40,
                timestamp: at,
                idempotencyKey: "job-1",
                recordedBy: "pkey_1",
                createdAt: at
            )
            let audit = Fixtures.audit("usage_record.created", organization: organization.id, target: "ur_1", type: "usage_record")
            let first = try await store.recordUsage(record, audit: audit, completing: nil)
            #expect(first.created && first.record == record)
            var retry = record
            retry.id = "ur_2"
            let second = try await store.recordUsage(retry, audit: audit, completing: nil)
            #expect(!second.created && second.record == record)
            // The other mode keeps its own keys.
            var live = retry
            live.livemode = true
            let liveAudit = Fixtures.audit("usage_record.created", organization: organization.id, target: "ur_2", type: "usage_record", at: at + 1)
            #expect(try await store.recordUsage(live, audit: liveAudit, completing: nil).created)

            let hour = at - at % Fixtures.hour
            let rows = try await store.usage(scope: scope, from: hour, until: hour + Fixtures.hour, metric: "tokens", keyId: nil)
            #expect(rows.map(\.quantity) == [40])
            #expect(try await store.auditEntries(targetId: "ur_1").count == 1)
        }
    }
}
