import Foundation
import PorticoCore
import Testing

@testable import PorticoStore

/// API keys as every engine must keep them.
struct KeyContractTests {
    @Test(arguments: StoreEngine.all)
    func aKeyIsFoundBySecretHashWithItsOrganizationWhateverItsState(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let key = try await Fixtures.insert(Fixtures.key(in: acme), into: store)

            let found = try #require(try await store.apiKey(secretHash: key.secretHash))
            #expect(found.key == key && found.organization == acme)
            #expect(try await store.apiKey(secretHash: Fixtures.secretHash())?.key == nil)

            // Revoked keys are still found: the authenticator judges the state.
            let revoke = Fixtures.keyAudit("api_key.revoked", key: key.id, organization: acme, at: Fixtures.now + 10)
            _ = try await store.revokeAPIKey(id: key.id, organizationId: acme.id, at: Fixtures.now + 10, audit: revoke, completing: nil)
            #expect(try await store.apiKey(secretHash: key.secretHash)?.key.revokedAt == Fixtures.now + 10)
            #expect(try await store.auditEntries(targetId: key.id).map(\.action) == ["api_key.created", "api_key.revoked"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func aKeyIsFoundByIdOnlyInItsOrganization(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let other = try await Fixtures.insert(Fixtures.organization("Other", at: Fixtures.now + 1), into: store)
            let test = try await Fixtures.insert(Fixtures.key(in: acme), into: store)
            let live = try await Fixtures.insert(Fixtures.key(in: acme, livemode: true, at: Fixtures.now + 1), into: store)

            #expect(try await store.apiKey(id: test.id, organizationId: acme.id) == test)
            #expect(try await store.apiKey(id: live.id, organizationId: acme.id) == live)
            #expect(try await store.apiKey(id: live.id, organizationId: other.id) == nil)
            #expect(try await store.apiKey(id: "key_missing", organizationId: acme.id) == nil)
        }
    }

    @Test(arguments: StoreEngine.all)
    func keysAreListedNewestFirstPerModeAndPagedBothWays(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let other = try await Fixtures.insert(Fixtures.organization("Other", at: Fixtures.now + 1), into: store)
            var test: [APIKeyRecord] = []
            for offset in [2, 0, 1] as [Int64] {
                test.append(try await Fixtures.insert(Fixtures.key(in: acme, at: Fixtures.now + offset), into: store))
            }
            test.sort { $0.createdAt < $1.createdAt }
            let live = try await Fixtures.insert(Fixtures.key(in: acme, livemode: true, at: Fixtures.now + 3), into: store)
            try await Fixtures.insert(Fixtures.key(in: other, at: Fixtures.now + 4), into: store)
            let scope = Fixtures.tenant(acme)

            let first = try await store.apiKeys(scope: scope, page: PageRequest(limit: 2))
            #expect(first.items == [test[2], test[1]] && first.hasMore)
            let last = try await store.apiKeys(scope: scope, page: PageRequest(limit: 2, startingAfter: test[1].id))
            #expect(last.items == [test[0]] && !last.hasMore)
            let back = try await store.apiKeys(scope: scope, page: PageRequest(limit: 1, endingBefore: test[0].id))
            #expect(back.items == [test[1]] && back.hasMore)
            let top = try await store.apiKeys(scope: scope, page: PageRequest(limit: 5, endingBefore: test[0].id))
            #expect(top.items == [test[2], test[1]] && !top.hasMore)
            #expect(try await store.apiKeys(scope: Fixtures.tenant(acme, livemode: true), page: PageRequest(limit: 5)).items == [live])

            #expect(try await store.apiKeys(organizationId: acme.id) == [live, test[2], test[1], test[0]])
            #expect(try await store.apiKeys(organizationId: acme.id, livemode: false) == [test[2], test[1], test[0]])
            #expect(try await store.apiKeys(organizationId: acme.id, livemode: true) == [live])
            #expect(try await store.apiKeys(organizationId: "org_missing").isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func revokingTwiceAuditsOnce(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let key = try await Fixtures.insert(Fixtures.key(in: acme), into: store)

            let first = try #require(
                try await store.revokeAPIKey(
                    id: key.id,
                    organizationId: acme.id,
                    at: Fixtures.now + 10,
                    audit: Fixtures.keyAudit("api_key.revoked", key: key.id, organization: acme, at: Fixtures.now + 10),
                    completing: nil
                )
            )
            #expect(first.revokedAt == Fixtures.now + 10 && first.updatedAt == Fixtures.now + 10)
            let second = try #require(
                try await store.revokeAPIKey(
                    id: key.id,
                    organizationId: acme.id,
                    at: Fixtures.now + 20,
                    audit: Fixtures.keyAudit("api_key.revoked", key: key.id, organization: acme, at: Fixtures.now + 20),
                    completing: nil
                )
            )
            #expect(second == first)
            #expect(try await store.apiKey(id: key.id, organizationId: acme.id) == first)
            #expect(try await store.auditEntries(targetId: key.id).map(\.action) == ["api_key.created", "api_key.revoked"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func revokingAnotherOrganizationsKeyOrNoKeyIsNil(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let other = try await Fixtures.insert(Fixtures.organization("Other", at: Fixtures.now + 1), into: store)
            let key = try await Fixtures.insert(Fixtures.key(in: acme), into: store)

            for (id, organization) in [(key.id, other), ("key_missing", acme)] {
                let revoked = try await store.revokeAPIKey(
                    id: id,
                    organizationId: organization.id,
                    at: Fixtures.now + 10,
                    audit: Fixtures.keyAudit("api_key.revoked", key: id, organization: organization, at: Fixtures.now + 10),
                    completing: nil
                )
                #expect(revoked == nil)
                #expect(try await store.auditEntries(targetId: id).allSatisfy { $0.action != "api_key.revoked" })
            }
            #expect(try await store.apiKey(id: key.id, organizationId: acme.id) == key)
        }
    }

    @Test(arguments: StoreEngine.all)
    func rollingInsertsTheReplacementAndEndsTheOldKey(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let old = try await Fixtures.insert(Fixtures.key(in: acme), into: store)
            let replacement = Fixtures.replacement(for: old, at: Fixtures.now + 10)
            let ends = Fixtures.now + 10 + Fixtures.hour

            let rolled = try #require(
                try await store.rollAPIKey(
                    id: old.id,
                    organizationId: acme.id,
                    replacement: replacement,
                    oldExpiresAt: ends,
                    audit: Fixtures.keyAudit("api_key.rolled", key: old.id, organization: acme, at: Fixtures.now + 10),
                    completing: nil
                )
            )
            #expect(rolled.id == old.id && rolled.secretHash == old.secretHash)
            #expect(rolled.expiresAt == ends && rolled.rolledToId == replacement.id && rolled.revokedAt == nil)
            #expect(try await store.apiKey(id: old.id, organizationId: acme.id) == rolled)
            #expect(try await store.apiKey(id: replacement.id, organizationId: acme.id) == replacement)
            #expect(try await store.apiKey(secretHash: replacement.secretHash)?.key == replacement)
            #expect(try await store.apiKeys(organizationId: acme.id).map(\.id) == [replacement.id, old.id])
            #expect(try await store.auditEntries(targetId: old.id).map(\.action) == ["api_key.created", "api_key.rolled"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func rollingNeverExtendsTheOldKeysLife(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let old = try await Fixtures.insert(Fixtures.key(in: acme, expiresAt: Fixtures.now + 1_000), into: store)

            let rolled = try await store.rollAPIKey(
                id: old.id,
                organizationId: acme.id,
                replacement: Fixtures.replacement(for: old, at: Fixtures.now + 10),
                oldExpiresAt: Fixtures.now + Fixtures.hour,
                audit: Fixtures.keyAudit("api_key.rolled", key: old.id, organization: acme, at: Fixtures.now + 10),
                completing: nil
            )
            #expect(rolled?.expiresAt == Fixtures.now + 1_000)
            #expect(try await store.apiKey(id: old.id, organizationId: acme.id)?.expiresAt == Fixtures.now + 1_000)
        }
    }

    @Test(arguments: StoreEngine.all)
    func rollingARevokedOrRolledKeyConflictsAndAMissingKeyIsNil(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let other = try await Fixtures.insert(Fixtures.organization("Other", at: Fixtures.now + 1), into: store)
            let rolled = try await Fixtures.insert(Fixtures.key(in: acme), into: store)
            let revoked = try await Fixtures.insert(Fixtures.key(in: acme, at: Fixtures.now + 1), into: store)
            let successor = Fixtures.replacement(for: rolled, at: Fixtures.now + 10)
            _ = try await store.rollAPIKey(
                id: rolled.id,
                organizationId: acme.id,
                replacement: successor,
                oldExpiresAt: Fixtures.now + Fixtures.hour,
                audit: Fixtures.keyAudit("api_key.rolled", key: rolled.id, organization: acme, at: Fixtures.now + 10),
                completing: nil
            )
            _ = try await store.revokeAPIKey(
                id: revoked.id,
                organizationId: acme.id,
                at: Fixtures.now + 10,
                audit: Fixtures.keyAudit("api_key.revoked", key: revoked.id, organization: acme, at: Fixtures.now + 10),
                completing: nil
            )

            for key in [rolled, revoked] {
                let replacement = Fixtures.replacement(for: key, at: Fixtures.now + 20)
                let error = await #expect(throws: StoreError.self) {
                    try await store.rollAPIKey(
                        id: key.id,
                        organizationId: acme.id,
                        replacement: replacement,
                        oldExpiresAt: Fixtures.now + 2 * Fixtures.hour,
                        audit: Fixtures.keyAudit("api_key.rolled", key: key.id, organization: acme, at: Fixtures.now + 20),
                        completing: nil
                    )
                }
                #expect(Fixtures.isConflict(error))
                #expect(try await store.apiKey(id: replacement.id, organizationId: acme.id) == nil)
            }
            #expect(try await store.apiKey(id: rolled.id, organizationId: acme.id)?.rolledToId == successor.id)
            #expect(try await store.apiKey(id: rolled.id, organizationId: acme.id)?.expiresAt == Fixtures.now + Fixtures.hour)
            #expect(try await store.apiKey(id: revoked.id, organizationId: acme.id)?.rolledToId == nil)
            #expect(try await store.auditEntries(targetId: rolled.id).map(\.action) == ["api_key.created", "api_key.rolled"])
            #expect(try await store.auditEntries(targetId: revoked.id).map(\.action) == ["api_key.created", "api_key.revoked"])

            // No such key (or another organization's): nil, and the replacement is not inserted.
            for (id, organization) in [("key_missing", acme), (successor.id, other)] {
                let orphan = Fixtures.replacement(for: successor, at: Fixtures.now + 30)
                let result = try await store.rollAPIKey(
                    id: id,
                    organizationId: organization.id,
                    replacement: orphan,
                    oldExpiresAt: Fixtures.now + 2 * Fixtures.hour,
                    audit: Fixtures.keyAudit("api_key.rolled", key: id, organization: organization, at: Fixtures.now + 30),
                    completing: nil
                )
                #expect(result == nil)
                #expect(try await store.apiKey(id: orphan.id, organizationId: acme.id) == nil)
            }
            #expect(try await store.apiKey(id: successor.id, organizationId: acme.id) == successor)
        }
    }

    @Test(arguments: StoreEngine.all)
    func recordingUsageNeverMovesLastUsedBackwardsNorTheRevision(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let key = try await Fixtures.insert(Fixtures.key(in: acme), into: store)
            let idle = try await Fixtures.insert(Fixtures.key(in: acme, at: Fixtures.now + 1), into: store)
            let revision = try await store.apiKeysRevision()

            try await store.recordKeyUsage([key.id: Fixtures.now + 100])
            #expect(try await store.apiKey(id: key.id, organizationId: acme.id)?.lastUsedAt == Fixtures.now + 100)
            // An older batch (another process's, a late flush) and an unknown key change nothing.
            try await store.recordKeyUsage([key.id: Fixtures.now + 50, "key_missing": Fixtures.now + 50])
            #expect(try await store.apiKey(id: key.id, organizationId: acme.id)?.lastUsedAt == Fixtures.now + 100)
            try await store.recordKeyUsage([:])
            try await store.recordKeyUsage([key.id: Fixtures.now + 200])
            #expect(try await store.apiKey(id: key.id, organizationId: acme.id)?.lastUsedAt == Fixtures.now + 200)
            #expect(try await store.apiKey(id: idle.id, organizationId: acme.id) == idle)

            // Use is not a change key caches must reload for.
            #expect(try await store.apiKey(id: key.id, organizationId: acme.id)?.updatedAt == key.updatedAt)
            #expect(try await store.apiKeysRevision() == revision)
        }
    }

    @Test(arguments: StoreEngine.all)
    func theRevisionChangesWhenAKeyOrAnOrganizationChanges(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            var revisions = [try await store.apiKeysRevision()]
            #expect(try await store.apiKeysRevision() == revisions[0])

            let first = try await Fixtures.insert(Fixtures.key(in: acme, at: Fixtures.now + 1), into: store)
            revisions.append(try await store.apiKeysRevision())
            _ = try await store.revokeAPIKey(
                id: first.id,
                organizationId: acme.id,
                at: Fixtures.now + 2,
                audit: Fixtures.keyAudit("api_key.revoked", key: first.id, organization: acme, at: Fixtures.now + 2),
                completing: nil
            )
            revisions.append(try await store.apiKeysRevision())
            let second = try await Fixtures.insert(Fixtures.key(in: acme, livemode: true, at: Fixtures.now + 3), into: store)
            revisions.append(try await store.apiKeysRevision())
            _ = try await store.rollAPIKey(
                id: second.id,
                organizationId: acme.id,
                replacement: Fixtures.replacement(for: second, at: Fixtures.now + 4),
                oldExpiresAt: Fixtures.now + Fixtures.hour,
                audit: Fixtures.keyAudit("api_key.rolled", key: second.id, organization: acme, at: Fixtures.now + 4),
                completing: nil
            )
            revisions.append(try await store.apiKeysRevision())
            // Even within the millisecond the organization was created in.
            _ = try await store.updateOrganization(
                id: acme.id,
                plan: "starter",
                bodyCapture: nil,
                at: acme.createdAt,
                audit: Fixtures.audit("organization.updated", organization: acme.id, target: acme.id, at: Fixtures.now + 5)
            )
            revisions.append(try await store.apiKeysRevision())

            #expect(Set(revisions).count == revisions.count, "revisions: \(revisions)")
        }
    }

    @Test(arguments: StoreEngine.all)
    func keyWritesStoreTheirIdempotentResponsesWithThem(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let key = Fixtures.key(in: acme)
            let commits = Fixtures.Commits()
            let creation = Fixtures.idempotentRequest(Fixtures.tenant(acme), body: "create")
            let created = Fixtures.response(#"{"id":"\#(key.id)"}"#, status: 201)

            try await store.insertAPIKey(
                key,
                audit: Fixtures.keyAudit("api_key.created", key: key.id, organization: acme, at: Fixtures.now),
                completing: Fixtures.completion(creation, storing: created, commits: commits)
            )
            #expect(try await store.apiKey(id: key.id, organizationId: acme.id) == key)
            let stored = try #require(try await store.idempotentResponse(for: creation, now: Fixtures.now))
            #expect(stored.requestHash == creation.requestHash && stored.response == created)

            let revocation = Fixtures.idempotentRequest(Fixtures.tenant(acme), body: "revoke", at: Fixtures.now + 10)
            let revoked = Fixtures.response(#"{"id":"\#(key.id)","revoked":true}"#)
            _ = try await store.revokeAPIKey(
                id: key.id,
                organizationId: acme.id,
                at: Fixtures.now + 10,
                audit: Fixtures.keyAudit("api_key.revoked", key: key.id, organization: acme, at: Fixtures.now + 10),
                completing: Fixtures.completion(revocation, storing: revoked, commits: commits)
            )
            #expect(try await store.idempotentResponse(for: revocation, now: Fixtures.now + 10)?.response == revoked)
            #expect(commits.responses == [created, revoked])
        }
    }

    @Test(arguments: StoreEngine.all)
    func aRollWhoseResponseCannotBeRenderedChangesNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let old = try await Fixtures.insert(Fixtures.key(in: acme), into: store)
            let replacement = Fixtures.replacement(for: old, at: Fixtures.now + 10)
            let request = Fixtures.idempotentRequest(Fixtures.tenant(acme), body: "roll", at: Fixtures.now + 10)
            let commits = Fixtures.Commits()

            await #expect(throws: Fixtures.RenderFailure.self) {
                try await store.rollAPIKey(
                    id: old.id,
                    organizationId: acme.id,
                    replacement: replacement,
                    oldExpiresAt: Fixtures.now + Fixtures.hour,
                    audit: Fixtures.keyAudit("api_key.rolled", key: old.id, organization: acme, at: Fixtures.now + 10),
                    completing: Fixtures.failingCompletion(request, commits: commits)
                )
            }
            #expect(try await store.apiKey(id: old.id, organizationId: acme.id) == old)
            #expect(try await store.apiKey(id: replacement.id, organizationId: acme.id) == nil)
            #expect(try await store.auditEntries(targetId: old.id).map(\.action) == ["api_key.created"])
            #expect(try await store.idempotentResponse(for: request, now: Fixtures.now + 10)?.response == nil)
            #expect(commits.responses.isEmpty)
        }
    }
}
