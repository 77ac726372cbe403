import PorticoCore
import Testing

@testable import PorticoStore

/// Events and their fan-out to webhook endpoints, as every engine must keep them.
struct EventContractTests {
    @Test(arguments: StoreEngine.all)
    func anEventIsQueuedForEveryEnabledEndpointOfItsTenantSubscribedToItsType(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let scope = Fixtures.tenant(acme)
            let exact = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["customer.created"]), in: store)
            let wildcard = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["customer.*"]), in: store)
            let everything = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["*"]), in: store)
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["invoice.paid", "customers.*"]), in: store)
            var disabled = Fixtures.webhookEndpoint(scope, events: ["*"])
            disabled.status = .disabled
            disabled.disabledReason = "manual"
            try await Fixtures.insertedWebhookEndpoint(disabled, in: store)
            let live = Fixtures.tenant(acme, livemode: true)
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(live, events: ["*"]), in: store)
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(Fixtures.tenant(other), events: ["*"]), in: store)

            let event = Fixtures.webhookEvent("customer.created", scope: scope)
            let queued = try await store.insertEvent(event)

            #expect(queued == 3)
            let deliveries = try await store.deliveries(scope: scope, filter: DeliveryFilter(eventId: event.id), page: Fixtures.wholePage).items
            #expect(Set(deliveries.map(\.delivery.endpointId)) == [exact.id, wildcard.id, everything.id])
            for view in deliveries {
                #expect(view.eventType == "customer.created")
                #expect(view.delivery.status == .pending)
                #expect(view.delivery.attemptCount == 0)
                #expect(view.delivery.nextAttemptAt == event.createdAt)
            }
            #expect(try await store.deliveries(scope: live, filter: DeliveryFilter(), page: Fixtures.wholePage).items.isEmpty)
            #expect(try await store.deliveries(scope: Fixtures.tenant(other), filter: DeliveryFilter(), page: Fixtures.wholePage).items.isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anEventNoEndpointWantsIsKeptWithNothingQueued(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["invoice.paid"]), in: store)
            let event = Fixtures.webhookEvent("customer.created", scope: scope)

            #expect(try await store.insertEvent(event) == 0)
            #expect(try await store.event(id: event.id, scope: scope) == event)
            #expect(try await store.deliveries(scope: scope, filter: DeliveryFilter(), page: Fixtures.wholePage).items.isEmpty)
            #expect(try await store.deliveryBacklog().owed == 0)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anEventSentOnlyToOneEndpointIsQueuedForThatEndpointAlone(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["*"]), in: store)
            let target = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["*"]), in: store)
            let event = Fixtures.webhookEvent("portico.test", scope: scope)

            let queued = try await store.insertEvent(event, onlyTo: target, completing: nil)

            #expect(queued == 1)
            let deliveries = try await store.deliveries(scope: scope, filter: DeliveryFilter(eventId: event.id), page: Fixtures.wholePage).items
            #expect(deliveries.map(\.delivery.endpointId) == [target.id])
        }
    }

    // The limit only turns a missed wake (a hang) into a failure; it is generous because it
    // also covers making the store, which on a loaded CI machine waits behind hundreds of
    // other tests' tasks (a PostgreSQL store's pool starts on the cooperative pool).
    @Test(.timeLimit(.minutes(5)), arguments: StoreEngine.all)
    func queuingDeliveriesWakesTheDispatcher(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)

            #expect(try await store.insertEvent(Fixtures.webhookEvent("customer.created", scope: scope)) == 1)

            // A wake fired before anyone waits is remembered: this returns at once,
            // and hangs (failing the time limit) if the commit did not fire it.
            await store.deliveriesQueued.wait()
        }
    }

    @Test(arguments: StoreEngine.all)
    func anEventIsReadOnlyInItsOwnTenant(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let event = Fixtures.webhookEvent("customer.created", scope: Fixtures.tenant(acme))
            try await store.insertEvent(event)

            #expect(try await store.event(id: event.id, scope: Fixtures.tenant(acme)) == event)
            #expect(try await store.event(id: event.id, scope: Fixtures.tenant(acme, livemode: true)) == nil)
            #expect(try await store.event(id: event.id, scope: Fixtures.tenant(other)) == nil)
            #expect(try await store.event(id: "evt_missing", scope: Fixtures.tenant(acme)) == nil)
            #expect(try await store.events(scope: Fixtures.tenant(other), filter: EventFilter(), page: Fixtures.wholePage).items.isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func eventsFilterByExactTypeOrByAPrefixOfWholeSegments(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let allTypes = [
                "customer.created", "customer.updated", "customer.tax_id.updated", "customers.merged", "tax_id.created", "taxaid.created",
            ]
            for (index, type) in allTypes.enumerated() {
                try await store.insertEvent(Fixtures.webhookEvent(type, scope: scope, at: Fixtures.now + Int64(index) * 1_000))
            }

            func typesMatching(_ pattern: String) async throws -> [String] {
                let parsed = try #require(EventTypePattern(pattern))
                let filter = EventFilter(type: parsed)
                return try await store.events(scope: scope, filter: filter, page: Fixtures.wholePage).items.map(\.type)
            }
            #expect(try await typesMatching("customer.created") == ["customer.created"])
            #expect(try await typesMatching("customer.*") == ["customer.tax_id.updated", "customer.updated", "customer.created"])
            // `_` is a literal character of the prefix, never a one-character wildcard.
            #expect(try await typesMatching("tax_id.*") == ["tax_id.created"])
            #expect(try await typesMatching("*") == Array(allTypes.reversed()))
        }
    }

    @Test(arguments: StoreEngine.all)
    func eventsFilterByTimeAndPageNewestFirst(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            var events: [EventRecord] = []
            for index in 0..<5 {
                let event = Fixtures.webhookEvent("customer.created", scope: scope, at: Fixtures.now + Int64(index) * 60_000)
                try await store.insertEvent(event)
                events.append(event)
            }
            let ids = events.map(\.id)

            let window = EventFilter(since: Fixtures.now + 60_000, until: Fixtures.now + 240_000)
            #expect(try await store.events(scope: scope, filter: window, page: Fixtures.wholePage).items.map(\.id) == [ids[3], ids[2], ids[1]])

            let first = try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 2))
            #expect(first.items.map(\.id) == [ids[4], ids[3]])
            #expect(first.hasMore)
            let second = try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 2, startingAfter: ids[3]))
            #expect(second.items.map(\.id) == [ids[2], ids[1]])
            #expect(second.hasMore)
            let last = try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 2, startingAfter: ids[1]))
            #expect(last.items.map(\.id) == [ids[0]])
            #expect(!last.hasMore)
            let back = try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 2, endingBefore: ids[1]))
            #expect(back.items.map(\.id) == [ids[3], ids[2]])
            #expect(back.hasMore)
        }
    }

    @Test(arguments: StoreEngine.all)
    func pruningDeletesOldEventsOfEveryTenantWithTheirDeliveriesUnlessOneIsStillOwed(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = Fixtures.tenant(try await Fixtures.seededOrganization("Acme", in: store))
            let other = Fixtures.tenant(try await Fixtures.seededOrganization("Other", in: store))
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(acme), in: store)
            let day: Int64 = 86_400_000
            let old = Fixtures.webhookEvent("customer.created", scope: acme, at: Fixtures.now - 3 * day)
            let otherOld = Fixtures.webhookEvent("customer.created", scope: other, at: Fixtures.now - 2 * day)
            let recent = Fixtures.webhookEvent("customer.updated", scope: acme, at: Fixtures.now)
            // As old, but its delivery's retry is still to come: it stays until the delivery is done.
            let retrying = Fixtures.webhookEvent("customer.deleted", scope: acme, at: Fixtures.now - 3 * day + 1)
            for event in [old, otherOld, recent, retrying] { try await store.insertEvent(event) }
            let oldDelivery = try #require(
                try await store.deliveries(scope: acme, filter: DeliveryFilter(eventId: old.id), page: Fixtures.wholePage).items.first
            )
            let retryingDelivery = try #require(
                try await store.deliveries(scope: acme, filter: DeliveryFilter(eventId: retrying.id), page: Fixtures.wholePage).items.first
            )
            try await store.recordAttempts([
                Fixtures.webhookAttempt(oldDelivery.delivery.id, at: old.createdAt + 1_000, statusCode: 500, leaving: .dead, retryAt: nil),
                Fixtures.webhookAttempt(
                    retryingDelivery.delivery.id,
                    at: retrying.createdAt + 1_000,
                    statusCode: 500,
                    leaving: .failed,
                    retryAt: Fixtures.now
                ),
            ])

            #expect(try await store.pruneEvents(before: Fixtures.now - day) == 2)

            #expect(try await store.event(id: old.id, scope: acme) == nil)
            #expect(try await store.event(id: otherOld.id, scope: other) == nil)
            #expect(try await store.delivery(id: oldDelivery.delivery.id, scope: acme)?.0.delivery == nil)
            #expect(try await store.event(id: recent.id, scope: acme) == recent)
            #expect(try await store.event(id: retrying.id, scope: acme) == retrying)
            let left = try await store.deliveries(scope: acme, filter: DeliveryFilter(), page: Fixtures.wholePage).items
            #expect(left.map(\.delivery.eventId) == [recent.id, retrying.id])
            #expect(try await store.deliveryBacklog().owed == 2)
            #expect(try await store.pruneEvents(before: Fixtures.now - day) == 0)
        }
    }
}
