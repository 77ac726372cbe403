import Foundation
import PorticoCore
import PorticoTestSupport
import Testing

@testable import PorticoPostgres
@testable import PorticoStore

/// Two instances dispatching from one PostgreSQL database: a leased delivery is the
/// leaseholder's until the lease ends, then another instance takes it over, and the
/// first instance's late outcome does not overwrite the new holder's attempt.
@Suite(.enabled(if: TestPostgres.isWanted, "no PostgreSQL test cluster (Scripts/test-postgres.sh start)"))
struct DeliveryLeaseTests {
    @Test func aLeasedDeliveryIsTakenOverOnlyWhenItsLeaseEndsAndALateOutcomeIsDropped() async throws {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        let lease: Int64 = 10_000
        let first = TestPostgres.store(url, maximumConnections: 2, deliveryLeaseMilliseconds: lease)
        let second = TestPostgres.store(url, maximumConnections: 2, deliveryLeaseMilliseconds: lease)
        defer {
            try? first.close()
            try? second.close()
        }
        let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: first))
        try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: first)
        try await first.insertEvent(Fixtures.webhookEvent("customer.created", scope: scope, at: Fixtures.now))
        let take: @Sendable ([(id: String, endpointId: String)]) -> [String] = { $0.map(\.id) }

        let claimed = try await first.claimDueWork(now: Fixtures.now, excludingEndpoints: [], perEndpoint: 10, claim: take)
        let delivery = try #require(claimed.jobs.first?.delivery)
        // While the lease runs the other instance sees nothing to do; once it has ended, it takes the delivery over.
        #expect(try await second.claimDueWork(now: Fixtures.now + lease - 1, excludingEndpoints: [], perEndpoint: 10, claim: take).jobs.isEmpty)
        let takenOver = try await second.claimDueWork(now: Fixtures.now + lease, excludingEndpoints: [], perEndpoint: 10, claim: take)
        #expect(takenOver.jobs.map(\.delivery.id) == [delivery.id])

        // The first instance's attempt ends late: the second holds a live lease, so it is dropped.
        try await first.recordAttempts([
            Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + lease + 1, statusCode: 500, leaving: .failed, retryAt: Fixtures.now + 60_000)
        ])
        var stored = try #require(try await first.delivery(id: delivery.id, scope: scope))
        #expect(stored.0.delivery.attemptCount == 0 && stored.1.isEmpty)

        // The holder's own outcome is recorded.
        try await second.recordAttempts([Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + lease + 2, statusCode: 200, leaving: .succeeded)])
        stored = try #require(try await first.delivery(id: delivery.id, scope: scope))
        #expect(stored.0.delivery.status == .succeeded && stored.0.delivery.attemptCount == 1 && stored.1.count == 1)
        try? await TestPostgres.shared.dropDatabase(url.database)
    }
}
