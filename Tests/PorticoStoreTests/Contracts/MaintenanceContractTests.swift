import Foundation
import PorticoCore
import Testing

@testable import PorticoStore

/// Health, readiness, integrity, backups and schema of every engine.
struct MaintenanceContractTests {
    @Test(arguments: StoreEngine.all)
    func aFreshStoreIsHealthyAndReady(engine: StoreEngine) async throws {
        try await engine.with { store in
            #expect(!store.health.writesFailing)
            let ready = try await store.readiness()
            #expect(ready)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aProbeWriteSucceedsAgainAndAgainAndLeavesTheStoreHealthy(engine: StoreEngine) async throws {
        try await engine.with { store in
            try await store.probeWrite(now: Fixtures.now)
            try await store.probeWrite(now: Fixtures.now + 1_000)

            #expect(!store.health.writesFailing)
            #expect(try await store.readiness())
        }
    }

    @Test(arguments: StoreEngine.all)
    func checkReportsIntegrityAndTheCurrentSchema(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            try await store.insertEvent(Fixtures.webhookEvent("customer.created", scope: scope))

            let check = try await store.check()

            #expect(check.integrityOK)
            #expect(check.schemaCurrent)
            #expect(check.appliedMigrations.last == check.expectedSchemaVersion)
            #expect(!check.journalMode.isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func migratingAMigratedStoreAppliesNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let before = try await store.check().appliedMigrations

            #expect(try await store.migrate().isEmpty)
            #expect(try await store.check().appliedMigrations == before)
            #expect(try await store.readiness())
        }
    }

    @Test(arguments: StoreEngine.all)
    func aBackupIsWrittenWhileTheStoreKeepsServing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(Fixtures.tenant(acme)), in: store)
            let destination = FileManager.default.temporaryDirectory.appendingPathComponent("portico-contract-backup-\(UUID().uuidString).sqlite")
                .path
            defer { try? FileManager.default.removeItem(atPath: destination) }

            try await store.backup(to: destination)

            #expect(FileManager.default.fileExists(atPath: destination))
            #expect(try Data(contentsOf: URL(fileURLWithPath: destination)).count > 0)
            #expect(try await store.organization(id: acme.id)?.name == "Acme")
            let later = try await Fixtures.seededOrganization("Later", in: store, at: Fixtures.now + 1_000)
            #expect(try await store.organizations().map(\.id).contains(later.id))
            #expect(try await store.check().integrityOK)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aStoreCanBeClosed(engine: StoreEngine) async throws {
        let (store, dispose) = try await engine.make()

        #expect(throws: Never.self) { try store.close() }
        await dispose()
    }
}
