import PorticoCore
import Testing

@testable import PorticoStore

/// Webhook endpoints as every engine must keep them.
struct WebhookEndpointContractTests {
    private struct ChangeRefused: Error {}

    @Test(arguments: StoreEngine.all)
    func anInsertedEndpointIsReadBackInItsTenantOnlyAndAudited(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let scope = Fixtures.tenant(acme)
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["customer.*"]), in: store)

            #expect(try await store.endpoint(id: endpoint.id, scope: scope) == endpoint)
            #expect(try await store.endpoint(id: endpoint.id, scope: Fixtures.tenant(acme, livemode: true)) == nil)
            #expect(try await store.endpoint(id: endpoint.id, scope: Fixtures.tenant(other)) == nil)
            #expect(try await store.endpoint(id: "we_missing", scope: scope) == nil)
            #expect(try await store.endpointCount(scope: scope) == 1)
            #expect(try await store.endpointCount(scope: Fixtures.tenant(acme, livemode: true)) == 0)
            #expect(try await store.auditEntries(targetId: endpoint.id).map(\.action) == ["webhook_endpoint.created"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func endpointsAreListedNewestFirstInPages(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            var ids: [String] = []
            for index in 0..<3 {
                let endpoint = Fixtures.webhookEndpoint(scope, at: Fixtures.now + Int64(index) * 1_000)
                ids.append(try await Fixtures.insertedWebhookEndpoint(endpoint, in: store).id)
            }
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(Fixtures.tenant(acme, livemode: true)), in: store)

            let first = try await store.endpoints(scope: scope, page: PageRequest(limit: 2))
            #expect(first.items.map(\.id) == [ids[2], ids[1]])
            #expect(first.hasMore)
            let rest = try await store.endpoints(scope: scope, page: PageRequest(limit: 2, startingAfter: ids[1]))
            #expect(rest.items.map(\.id) == [ids[0]])
            #expect(!rest.hasMore)
            #expect(try await store.endpointCount(scope: scope) == 3)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anUpdateIsSavedAndAudited(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let later = Fixtures.now + 5_000

            let updated = try await store.updateEndpoint(
                id: endpoint.id,
                scope: scope,
                audit: Fixtures.endpointAudit("webhook_endpoint.updated", endpoint, at: later),
                completing: nil
            ) { endpoint in
                endpoint.url = "https://hooks.example.com/v2"
                endpoint.description = "Billing"
                endpoint.enabledEvents = StoredJSON.encode(["invoice.*"])
                endpoint.updatedAt = later
            }

            #expect(updated?.url == "https://hooks.example.com/v2")
            let stored = try #require(try await store.endpoint(id: endpoint.id, scope: scope))
            #expect(stored == updated)
            #expect(stored.description == "Billing")
            #expect(stored.patterns.map(\.description) == ["invoice.*"])
            #expect(stored.updatedAt == later)
            #expect(try await store.auditEntries(targetId: endpoint.id).map(\.action) == ["webhook_endpoint.created", "webhook_endpoint.updated"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func anUpdateThatChangesNothingIsNotAudited(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)

            let unchanged = try await store.updateEndpoint(
                id: endpoint.id,
                scope: scope,
                audit: Fixtures.endpointAudit("webhook_endpoint.updated", endpoint),
                completing: nil
            ) { endpoint in
                endpoint.url = "https://hooks.example.com/portico"
            }

            #expect(unchanged == endpoint)
            #expect(try await store.auditEntries(targetId: endpoint.id).map(\.action) == ["webhook_endpoint.created"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func updatingAnEndpointThatIsNotTheTenantsChangesNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)

            let missing = try await store.updateEndpoint(
                id: "we_missing",
                scope: scope,
                audit: Fixtures.audit("webhook_endpoint.updated", organization: acme.id, target: "we_missing"),
                completing: nil
            ) { $0.url = "https://elsewhere.example.com" }
            let otherMode = try await store.updateEndpoint(id: endpoint.id, scope: Fixtures.tenant(acme, livemode: true)) {
                $0.url = "https://elsewhere.example.com"
            }

            #expect(missing == nil)
            #expect(otherMode == nil)
            #expect(try await store.auditEntries(targetId: "we_missing").isEmpty)
            #expect(try await store.endpoint(id: endpoint.id, scope: scope) == endpoint)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aChangeThatThrowsSavesNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)

            await #expect(throws: ChangeRefused.self) {
                try await store.updateEndpoint(
                    id: endpoint.id,
                    scope: scope,
                    audit: Fixtures.endpointAudit("webhook_endpoint.updated", endpoint),
                    completing: nil
                ) { endpoint in
                    endpoint.url = "https://elsewhere.example.com"
                    throw ChangeRefused()
                }
            }

            #expect(try await store.endpoint(id: endpoint.id, scope: scope) == endpoint)
            #expect(try await store.auditEntries(targetId: endpoint.id).map(\.action) == ["webhook_endpoint.created"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func disablingAnEndpointKillsTheDeliveriesItOwes(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let doomed = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let kept = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let delivered = Fixtures.webhookEvent("customer.created", scope: scope, at: Fixtures.now)
            let failing = Fixtures.webhookEvent("customer.updated", scope: scope, at: Fixtures.now + 1_000)
            let pending = Fixtures.webhookEvent("customer.deleted", scope: scope, at: Fixtures.now + 2_000)
            for event in [delivered, failing, pending] { try await store.insertEvent(event) }
            func doomedDelivery(of event: EventRecord) async throws -> WebhookDeliveryRecord {
                let filter = DeliveryFilter(endpointId: doomed.id, eventId: event.id)
                return try #require(try await store.deliveries(scope: scope, filter: filter, page: Fixtures.wholePage).items.first).delivery
            }
            let succeedingId = try await doomedDelivery(of: delivered).id
            let failingId = try await doomedDelivery(of: failing).id
            try await store.recordAttempts([
                Fixtures.webhookAttempt(succeedingId, at: Fixtures.now + 3_000, statusCode: 200, leaving: .succeeded),
                Fixtures.webhookAttempt(failingId, at: Fixtures.now + 3_000, statusCode: 500, leaving: .failed, retryAt: Fixtures.now + 60_000),
            ])
            let disabledAt = Fixtures.now + 10_000

            let disabled = try await store.updateEndpoint(id: doomed.id, scope: scope) { endpoint in
                endpoint.status = .disabled
                endpoint.disabledReason = "manual"
                endpoint.updatedAt = disabledAt
            }

            #expect(disabled?.status == .disabled)
            let succeeded = try await doomedDelivery(of: delivered)
            #expect(succeeded.status == .succeeded)
            for event in [failing, pending] {
                let delivery = try await doomedDelivery(of: event)
                #expect(delivery.status == .dead)
                #expect(delivery.nextAttemptAt == nil)
                #expect(delivery.updatedAt == disabledAt)
            }
            let stillOwed = try await store.deliveries(scope: scope, filter: DeliveryFilter(endpointId: kept.id), page: Fixtures.wholePage).items
            #expect(stillOwed.count == 3)
            #expect(stillOwed.allSatisfy { $0.delivery.status == .pending })
            #expect(try await store.deliveryBacklog().owed == 3)
        }
    }

    @Test(arguments: StoreEngine.all)
    func sealingSealsOnlySecretsInTheClearAndOnlyOnce(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = Fixtures.tenant(try await Fixtures.seededOrganization("Acme", in: store))
            let other = Fixtures.tenant(try await Fixtures.seededOrganization("Other", in: store))
            let clear = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(acme, secret: "whsec_clear"), in: store)
            let sealed = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(acme, secret: "sealed:whsec_done"), in: store)
            var rotating = Fixtures.webhookEndpoint(other, secret: "sealed:whsec_new")
            rotating.previousSecret = "whsec_old"
            rotating.previousSecretExpiresAt = Fixtures.now + 3_600_000
            try await Fixtures.insertedWebhookEndpoint(rotating, in: store)
            let isSealed: @Sendable (String) -> Bool = { $0.hasPrefix("sealed:") }
            let seal: @Sendable (String, String) -> String = { secret, id in "sealed:\(secret)@\(id)" }

            let first = try await store.sealEndpointSecrets(isSealed: isSealed, seal: seal)

            #expect(first.sealed == 2)
            #expect(first.foundSealed)
            #expect(try await store.endpoint(id: clear.id, scope: acme)?.secret == "sealed:whsec_clear@\(clear.id)")
            #expect(try await store.endpoint(id: sealed.id, scope: acme)?.secret == "sealed:whsec_done")
            let rotated = try #require(try await store.endpoint(id: rotating.id, scope: other))
            #expect(rotated.secret == "sealed:whsec_new")
            #expect(rotated.previousSecret == "sealed:whsec_old@\(rotating.id)")

            let second = try await store.sealEndpointSecrets(isSealed: isSealed, seal: seal)
            #expect(second.sealed == 0)
            #expect(second.foundSealed)
            #expect(try await store.endpoint(id: clear.id, scope: acme)?.secret == "sealed:whsec_clear@\(clear.id)")
        }
    }

    @Test(arguments: StoreEngine.all)
    func sealingAStoreOfClearSecretsFindsNoneSealedAlready(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, secret: "whsec_one"), in: store)
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, secret: "whsec_two"), in: store)
            let isSealed: @Sendable (String) -> Bool = { $0.hasPrefix("sealed:") }
            let seal: @Sendable (String, String) -> String = { secret, _ in "sealed:\(secret)" }

            let first = try await store.sealEndpointSecrets(isSealed: isSealed, seal: seal)
            #expect(first.sealed == 2)
            #expect(!first.foundSealed)
            #expect(try await store.endpoints(scope: scope, page: Fixtures.wholePage).items.allSatisfy { isSealed($0.secret) })
        }
    }

    @Test(arguments: StoreEngine.all)
    func deletingAnEndpointDeletesItsDeliveries(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let doomed = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let kept = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = Fixtures.webhookEvent("customer.created", scope: scope)
            try await store.insertEvent(event)
            let doomedDelivery = try #require(
                try await store.deliveries(scope: scope, filter: DeliveryFilter(endpointId: doomed.id), page: Fixtures.wholePage).items.first
            )
            try await store.recordAttempts([
                Fixtures.webhookAttempt(
                    doomedDelivery.delivery.id,
                    at: Fixtures.now + 1_000,
                    statusCode: 500,
                    leaving: .failed,
                    retryAt: Fixtures.now + 60_000
                )
            ])

            let fromOtherMode = try await store.deleteEndpoint(
                id: doomed.id,
                scope: Fixtures.tenant(acme, livemode: true),
                audit: Fixtures.endpointAudit("webhook_endpoint.deleted", doomed, at: doomed.createdAt + 1_000)
            )
            let deleted = try await store.deleteEndpoint(
                id: doomed.id,
                scope: scope,
                audit: Fixtures.endpointAudit("webhook_endpoint.deleted", doomed, at: doomed.createdAt + 1_000)
            )
            let again = try await store.deleteEndpoint(
                id: doomed.id,
                scope: scope,
                audit: Fixtures.endpointAudit("webhook_endpoint.deleted", doomed, at: doomed.createdAt + 1_000)
            )

            #expect(!fromOtherMode)
            #expect(deleted)
            #expect(!again)
            #expect(try await store.endpoint(id: doomed.id, scope: scope) == nil)
            #expect(try await store.delivery(id: doomedDelivery.delivery.id, scope: scope)?.0.delivery == nil)
            let left = try await store.deliveries(scope: scope, filter: DeliveryFilter(eventId: event.id), page: Fixtures.wholePage).items
            #expect(left.map(\.delivery.endpointId) == [kept.id])
            #expect(try await store.endpointCount(scope: scope) == 1)
            #expect(try await store.auditEntries(targetId: doomed.id).map(\.action) == ["webhook_endpoint.created", "webhook_endpoint.deleted"])
        }
    }
}
