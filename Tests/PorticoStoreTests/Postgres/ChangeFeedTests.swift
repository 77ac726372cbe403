import Foundation
import PorticoCore
import PorticoTestSupport
import Testing

@testable import PorticoPostgres
@testable import PorticoStore

/// Two instances on one PostgreSQL database: what one commits wakes the other
/// (`LISTEN`/`NOTIFY`), and what one rolls back does not.
@Suite(.enabled(if: TestPostgres.isWanted, "no PostgreSQL test cluster (Scripts/test-postgres.sh start)"))
struct ChangeFeedTests {
    @Test(.timeLimit(.minutes(5)))
    func anotherInstancesCommitsWakeThisOnesDispatcherMailerAndKeyCache() async throws {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        let here = TestPostgres.store(url, maximumConnections: 2)
        let there = TestPostgres.store(url, maximumConnections: 2)
        let keysChanged = WakeSignal()
        let following = Task { await here.followChanges { keysChanged.fire() } }
        defer {
            following.cancel()
            try? here.close()
            try? there.close()
        }
        // Once listening, every waiter is woken (what was missed before is looked at anew).
        await here.deliveriesQueued.wait()
        await here.mailQueued.wait()
        await keysChanged.wait()

        let organization = try await Fixtures.seededOrganization(in: there)
        let scope = Fixtures.tenant(organization)
        try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: there)
        #expect(try await there.insertEvent(Fixtures.webhookEvent("customer.created", scope: scope)) == 1)
        await here.deliveriesQueued.wait()

        let key = try await Fixtures.insert(Fixtures.key(in: organization), into: there)
        await keysChanged.wait()
        _ = try await there.revokeAPIKey(
            id: key.id,
            organizationId: organization.id,
            at: Fixtures.now + 1,
            audit: Fixtures.keyAudit("api_key.revoked", key: key.id, organization: organization, at: Fixtures.now + 1),
            completing: nil
        )
        await keysChanged.wait()
        #expect(try await here.apiKey(id: key.id, organizationId: organization.id)?.revokedAt == Fixtures.now + 1)

        try await there.insertMail(
            MailRecord(
                id: Identifier.make("mail", at: Fixtures.now),
                organizationId: organization.id,
                kind: "test",
                recipients: "ada@example.com",
                subject: "Hello",
                body: "sealed",
                at: Fixtures.now
            )
        )
        await here.mailQueued.wait()
        try? await TestPostgres.shared.dropDatabase(url.database)
    }

    @Test(.timeLimit(.minutes(5)))
    func aRolledBackTransactionTellsNobody() async throws {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        let store = TestPostgres.store(url, maximumConnections: 2)
        defer { try? store.close() }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await store.write { connection -> Void in
                Store.afterCommitNote(.deliveries)
                throw Refused()
            }
        }
        // The local signal was not fired: a later fire is the one `wait` sees.
        #expect(!store.deliveriesQueued.isPending)
        try? await TestPostgres.shared.dropDatabase(url.database)
    }
}

private enum Store {
    static func afterCommitNote(_ change: StoreChange) { PostgresStore.afterCommit?.note(change) }
}
