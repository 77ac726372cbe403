import PorticoCore
import Testing

@testable import PorticoStore

/// What the retention job deletes, as every engine must: finished deliveries
/// with their attempts (never one still owed), and audit entries by age.
struct RetentionContractTests {
    @Test(arguments: StoreEngine.all)
    func finishedDeliveriesGoWithTheirAttemptsAndOwedOnesStay(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = Fixtures.tenant(try await Fixtures.seededOrganization("Acme", in: store))
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(acme), in: store)
            let day: Int64 = 86_400_000
            var deliveries: [String: String] = [:]
            for (name, age) in [("succeeded", 3 * day), ("dead", 3 * day), ("retrying", 3 * day), ("recent", 0)] {
                let event = Fixtures.webhookEvent("customer.created", scope: acme, at: Fixtures.now - age)
                try await store.insertEvent(event)
                deliveries[name] = try #require(
                    try await store.deliveries(scope: acme, filter: DeliveryFilter(eventId: event.id), page: Fixtures.wholePage).items.first
                ).delivery.id
            }
            let at = Fixtures.now - 3 * day + 1_000
            try await store.recordAttempts([
                Fixtures.webhookAttempt(deliveries["succeeded"]!, at: at, statusCode: 200, leaving: .succeeded),
                Fixtures.webhookAttempt(deliveries["dead"]!, at: at, statusCode: 500, leaving: .dead),
                Fixtures.webhookAttempt(deliveries["retrying"]!, at: at, statusCode: 500, leaving: .failed, retryAt: Fixtures.now),
                Fixtures.webhookAttempt(deliveries["recent"]!, at: Fixtures.now, statusCode: 200, leaving: .succeeded),
            ])

            #expect(try await store.pruneDeliveries(finishedBefore: Fixtures.now - day) == 2)
            for (name, kept) in [("succeeded", false), ("dead", false), ("retrying", true), ("recent", true)] {
                let found = try await store.delivery(id: deliveries[name]!, scope: acme)
                #expect((found != nil) == kept, "\(name)")
                if kept { #expect(found?.1.count == 1, "\(name) keeps its attempt") }
            }
            #expect(try await store.pruneDeliveries(finishedBefore: Fixtures.now - day) == 0)
        }
    }

    @Test(arguments: StoreEngine.all)
    func auditEntriesOlderThanTheCutoffGo(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let day: Int64 = 86_400_000
            let old = Fixtures.audit("test.old", organization: acme.id, target: "t_old", at: Fixtures.now - 400 * day)
            let young = Fixtures.audit("test.young", organization: acme.id, target: "t_young", at: Fixtures.now - 10 * day)
            let platform = Fixtures.audit("test.platform", organization: nil, target: "t_platform", at: Fixtures.now - 400 * day)
            for entry in [old, young, platform] { try await store.insertAudit(entry) }

            #expect(try await store.pruneAuditEntries(before: Fixtures.now - 365 * day) == 2)
            #expect(try await store.auditEntries(targetId: "t_old").isEmpty)
            #expect(try await store.auditEntries(targetId: "t_platform").isEmpty)
            #expect(try await store.auditEntries(targetId: "t_young") == [young])
        }
    }
}
