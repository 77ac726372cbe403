import PorticoCore
import Synchronization
import Testing

@testable import PorticoStore

/// Webhook deliveries, their attempts, replays and the dispatcher's work queue, as every engine must keep them.
struct WebhookDeliveryContractTests {
    /// The claimed set a dispatcher keeps (`WebhookDispatcher`'s in-flight deliveries):
    /// a delivery offered to it is taken only if no one has taken it yet.
    private final class ClaimedDeliveries: Sendable {
        private let ids = Mutex<Set<String>>([])

        func claim(_ due: [(id: String, endpointId: String)]) -> [String] {
            ids.withLock { claimed in due.map { $0.id }.filter { claimed.insert($0).inserted } }
        }
    }

    /// What `claimDueWork` offered to its claim closure.
    private final class OfferedDeliveries: Sendable {
        private let offered = Mutex<[(id: String, endpointId: String)]>([])

        var ids: [String] { offered.withLock { due in due.map { $0.id } } }
        var endpointIds: [String] { offered.withLock { due in due.map { $0.endpointId } } }

        /// Records the offer and claims all of it.
        func takeAll(_ due: [(id: String, endpointId: String)]) -> [String] {
            offered.withLock { $0 = due }
            return due.map { $0.id }
        }
    }

    /// The delivery of `event` to `endpoint`.
    private static func delivery(
        of event: EventRecord,
        to endpoint: WebhookEndpointRecord,
        in store: any PorticoStorage
    ) async throws -> WebhookDeliveryRecord {
        let filter = DeliveryFilter(endpointId: endpoint.id, eventId: event.id)
        return try #require(try await store.deliveries(scope: event.scope, filter: filter, page: Fixtures.wholePage).items.first).delivery
    }

    /// Inserts events of `scope` at `times` and returns them.
    @discardableResult
    private static func insertEvents(_ scope: TenantScope, at times: [Int64], in store: any PorticoStorage) async throws -> [EventRecord] {
        var events: [EventRecord] = []
        for time in times {
            let event = Fixtures.webhookEvent("customer.created", scope: scope, at: time)
            try await store.insertEvent(event)
            events.append(event)
        }
        return events
    }

    // MARK: Deliveries

    @Test(arguments: StoreEngine.all)
    func deliveriesFilterByEndpointEventAndStatusAndPageNewestFirst(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let first = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let second = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let events = try await Self.insertEvents(scope, at: [Fixtures.now, Fixtures.now + 1_000], in: store)
            let succeeded = try await Self.delivery(of: events[0], to: first, in: store)
            try await store.recordAttempts([Fixtures.webhookAttempt(succeeded.id, at: Fixtures.now + 2_000, statusCode: 200, leaving: .succeeded)])

            func deliveries(_ filter: DeliveryFilter) async throws -> [DeliveryView] {
                try await store.deliveries(scope: scope, filter: filter, page: Fixtures.wholePage).items
            }
            let all = try await deliveries(DeliveryFilter())
            #expect(all.count == 4)
            #expect(all.allSatisfy { $0.eventType == "customer.created" })
            #expect(try await deliveries(DeliveryFilter(endpointId: first.id)).map(\.delivery.eventId) == [events[1].id, events[0].id])
            #expect(try await Set(deliveries(DeliveryFilter(eventId: events[0].id)).map(\.delivery.endpointId)) == [first.id, second.id])
            #expect(try await deliveries(DeliveryFilter(status: .succeeded)).map(\.delivery.id) == [succeeded.id])
            #expect(try await deliveries(DeliveryFilter(status: .pending)).count == 3)
            #expect(try await deliveries(DeliveryFilter(endpointId: first.id, status: .pending)).map(\.delivery.eventId) == [events[1].id])
            let live = Fixtures.tenant(acme, livemode: true)
            #expect(try await store.deliveries(scope: live, filter: DeliveryFilter(), page: Fixtures.wholePage).items.isEmpty)

            let page = try await store.deliveries(scope: scope, filter: DeliveryFilter(), page: PageRequest(limit: 3))
            #expect(page.items.map(\.delivery.id) == all.prefix(3).map(\.delivery.id))
            #expect(page.hasMore)
            let rest = try await store.deliveries(
                scope: scope,
                filter: DeliveryFilter(),
                page: PageRequest(limit: 3, startingAfter: page.items.last?.delivery.id)
            )
            #expect(rest.items.map(\.delivery.id) == [all[3].delivery.id])
            #expect(!rest.hasMore)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aDeliveryIsReadWithItsAttemptsOldestFirst(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = try await Self.insertEvents(scope, at: [Fixtures.now], in: store)[0]
            let delivery = try await Self.delivery(of: event, to: endpoint, in: store)
            try await store.recordAttempts([
                Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 1_000, statusCode: 503, leaving: .failed, retryAt: Fixtures.now + 6_000)
            ])
            try await store.recordAttempts([Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 6_000, statusCode: 200, leaving: .succeeded)])

            let (view, attempts) = try #require(try await store.delivery(id: delivery.id, scope: scope))

            #expect(view.eventType == "customer.created")
            #expect(view.delivery.status == .succeeded)
            #expect(view.delivery.attemptCount == 2)
            #expect(view.delivery.lastStatusCode == 200)
            #expect(view.delivery.lastAttemptAt == Fixtures.now + 6_000)
            #expect(view.delivery.nextAttemptAt == nil)
            #expect(attempts.map(\.statusCode) == [503, 200])
            #expect(attempts.map(\.attemptedAt) == [Fixtures.now + 1_000, Fixtures.now + 6_000])
            #expect(attempts.map(\.errorKind) == [.http, nil])
            #expect(attempts.allSatisfy { $0.deliveryId == delivery.id && $0.durationMs == 42 })
            #expect(attempts.first?.responseExcerpt == "status 503")
            #expect(try await store.delivery(id: delivery.id, scope: Fixtures.tenant(acme, livemode: true))?.0.delivery == nil)
            #expect(try await store.delivery(id: "whd_missing", scope: scope)?.0.delivery == nil)
        }
    }

    // MARK: Retries

    @Test(arguments: StoreEngine.all)
    func retryingMakesADeliveryPendingAndDueNow(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = try await Self.insertEvents(scope, at: [Fixtures.now], in: store)[0]
            let delivery = try await Self.delivery(of: event, to: endpoint, in: store)
            try await store.recordAttempts([Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 1_000, statusCode: 500, leaving: .dead)])
            let retriedAt = Fixtures.now + 120_000

            let result = try await store.retryDelivery(id: delivery.id, scope: scope, now: retriedAt, completing: nil)

            guard case .success(let view)? = result else {
                Issue.record("expected the retried delivery, got \(String(describing: result))")
                return
            }
            #expect(view.delivery.id == delivery.id)
            #expect(view.eventType == "customer.created")
            #expect(view.delivery.status == .pending)
            #expect(view.delivery.nextAttemptAt == retriedAt)
            #expect(view.delivery.attemptCount == 1)
            let stored = try #require(try await store.delivery(id: delivery.id, scope: scope)).0.delivery
            #expect(stored.status == .pending)
            #expect(stored.nextAttemptAt == retriedAt)
            let backlog = try await store.deliveryBacklog()
            #expect(backlog.owed == 1)
            #expect(backlog.oldestDueAt == retriedAt)
            let work = try await store.claimDueWork(now: retriedAt, excludingEndpoints: [], perEndpoint: 10) { due in due.map { $0.id } }
            #expect(work.jobs.map(\.delivery.id) == [delivery.id])
        }
    }

    @Test(arguments: StoreEngine.all)
    func retryingADeliveryThatIsNotTheTenantsFindsNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = try await Self.insertEvents(scope, at: [Fixtures.now], in: store)[0]
            let delivery = try await Self.delivery(of: event, to: endpoint, in: store)
            try await store.recordAttempts([Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 1_000, statusCode: 500, leaving: .dead)])

            let unknown = try await store.retryDelivery(id: "whd_missing", scope: scope, now: Fixtures.now + 2_000, completing: nil)
            let otherMode = try await store.retryDelivery(
                id: delivery.id,
                scope: Fixtures.tenant(acme, livemode: true),
                now: Fixtures.now + 2_000,
                completing: nil
            )

            #expect(unknown.map { String(describing: $0) } == nil)
            #expect(otherMode.map { String(describing: $0) } == nil)
            #expect(try await Self.delivery(of: event, to: endpoint, in: store).status == .dead)
        }
    }

    @Test(arguments: StoreEngine.all)
    func retryingADeliveryOfADisabledEndpointIsRefused(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = try await Self.insertEvents(scope, at: [Fixtures.now], in: store)[0]
            let delivery = try await Self.delivery(of: event, to: endpoint, in: store)
            try await store.recordAttempts([Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 1_000, statusCode: 500, leaving: .dead)])
            _ = try await store.updateEndpoint(id: endpoint.id, scope: scope) { endpoint in
                endpoint.status = .disabled
                endpoint.disabledReason = "manual"
            }

            let result = try await store.retryDelivery(id: delivery.id, scope: scope, now: Fixtures.now + 2_000, completing: nil)

            let refused = if case .failure(.endpointDisabled)? = result { true } else { false }
            #expect(refused)
            let stored = try await Self.delivery(of: event, to: endpoint, in: store)
            #expect(stored.status == .dead)
            #expect(stored.nextAttemptAt == nil)
            #expect(try await store.deliveryBacklog().owed == 0)
        }
    }

    // The limit only turns a missed wake (a hang) into a failure; it is generous because it
    // also covers making the store, which on a loaded CI machine waits behind hundreds of
    // other tests' tasks (a PostgreSQL store's pool starts on the cooperative pool).
    @Test(.timeLimit(.minutes(5)), arguments: StoreEngine.all)
    func requeuingByRetryOrReplayWakesTheDispatcher(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = try await Self.insertEvents(scope, at: [Fixtures.now], in: store)[0]
            let delivery = try await Self.delivery(of: event, to: endpoint, in: store)
            await store.deliveriesQueued.wait()  // the insert's wake

            // Each `wait()` below returns at once only if the call before it fired the signal;
            // otherwise it hangs and the time limit fails the test.
            try await store.recordAttempts([Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 1_000, statusCode: 500, leaving: .dead)])
            let retried = try await store.retryDelivery(id: delivery.id, scope: scope, now: Fixtures.now + 2_000, completing: nil)
            #expect(retried.map { String(describing: $0) } != nil)
            await store.deliveriesQueued.wait()

            try await store.recordAttempts([Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 3_000, statusCode: 500, leaving: .dead)])
            let replay = WebhookReplayRecord(
                id: Identifier.make("whr", at: Fixtures.now + 4_000),
                endpoint: endpoint,
                since: Fixtures.now,
                until: Fixtures.now + 1_000,
                createdAt: Fixtures.now + 4_000
            )
            try await store.insertReplay(replay, completing: nil)
            #expect(try await store.continueReplay(id: replay.id, after: nil, chunk: 10, now: Fixtures.now + 5_000) == nil)
            #expect(try await store.replay(id: replay.id, scope: scope)?.queued == 1)
            await store.deliveriesQueued.wait()
        }
    }

    // MARK: Replays

    @Test(arguments: StoreEngine.all)
    func aReplayRequeuesTheEndpointsFailedAndDeadDeliveriesInChunksThenCompletes(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let target = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let bystander = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let events = try await Self.insertEvents(scope, at: (0..<5).map { Fixtures.now + Int64($0) * 1_000 }, in: store)
            var targets: [WebhookDeliveryRecord] = []
            var bystanders: [WebhookDeliveryRecord] = []
            for event in events {
                targets.append(try await Self.delivery(of: event, to: target, in: store))
                bystanders.append(try await Self.delivery(of: event, to: bystander, in: store))
            }
            let attemptedAt = Fixtures.now + 10_000
            let outcomes: [WebhookDeliveryRecord.Status] = [.dead, .failed, .succeeded, .dead, .dead]
            var attempts: [AttemptOutcome] = []
            for (delivery, status) in zip(targets, outcomes) {
                let code = status == .succeeded ? 200 : 500
                attempts.append(
                    Fixtures.webhookAttempt(delivery.id, at: attemptedAt, statusCode: code, leaving: status, retryAt: attemptedAt + 3_600_000)
                )
            }
            for delivery in bystanders {
                attempts.append(Fixtures.webhookAttempt(delivery.id, at: attemptedAt, statusCode: 500, leaving: .dead))
            }
            try await store.recordAttempts(attempts)
            // Deliveries created in [now, now + 4 s): the last event's is outside the window.
            let replay = WebhookReplayRecord(
                id: Identifier.make("whr", at: Fixtures.now + 20_000),
                endpoint: target,
                since: Fixtures.now,
                until: Fixtures.now + 4_000,
                createdAt: Fixtures.now + 20_000
            )

            try await store.insertReplay(replay, completing: nil)

            #expect(try await store.replay(id: replay.id, scope: scope) == replay)
            #expect(try await store.replay(id: replay.id, scope: Fixtures.tenant(acme, livemode: true)) == nil)
            #expect(try await store.runningReplays().map(\.id) == [replay.id])

            let resumedAt = Fixtures.now + 30_000
            let cursor = try await store.continueReplay(id: replay.id, after: nil, chunk: 2, now: resumedAt)
            #expect(cursor != nil)
            let halfway = try #require(try await store.replay(id: replay.id, scope: scope))
            #expect(halfway.status == .running)
            #expect(halfway.queued == 2)

            let finishedAt = resumedAt + 1_000
            #expect(try await store.continueReplay(id: replay.id, after: cursor, chunk: 2, now: finishedAt) == nil)

            let finished = try #require(try await store.replay(id: replay.id, scope: scope))
            #expect(finished.status == .completed)
            #expect(finished.queued == 3)
            #expect(finished.completedAt == finishedAt)
            #expect(try await store.runningReplays().isEmpty)
            var statuses: [WebhookDeliveryRecord.Status] = []
            var dueTimes: [Int64?] = []
            for event in events {
                let delivery = try await Self.delivery(of: event, to: target, in: store)
                statuses.append(delivery.status)
                dueTimes.append(delivery.nextAttemptAt)
            }
            #expect(statuses == [.pending, .pending, .succeeded, .pending, .dead])
            #expect(dueTimes == [resumedAt, resumedAt, nil, finishedAt, nil])
            for event in events { #expect(try await Self.delivery(of: event, to: bystander, in: store).status == .dead) }

            #expect(try await store.continueReplay(id: replay.id, after: nil, chunk: 2, now: finishedAt + 1_000) == nil)
            #expect(try await store.replay(id: replay.id, scope: scope)?.queued == 3)
        }
    }

    // MARK: Dispatch

    @Test(arguments: StoreEngine.all)
    func claimingOffersTheDueDeliveriesOfEnabledEndpointsOldestDueFirst(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let enabled = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            var disabled = Fixtures.webhookEndpoint(scope, events: ["invoice.paid"])
            disabled.status = .disabled
            disabled.disabledReason = "manual"
            try await Fixtures.insertedWebhookEndpoint(disabled, in: store)
            let due = try await Self.insertEvents(scope, at: [Fixtures.now - 3_000, Fixtures.now - 2_000, Fixtures.now - 1_000], in: store)
            try await Self.insertEvents(scope, at: [Fixtures.now + 60_000], in: store)
            // A delivery owed to a disabled endpoint (sent to it alone) is never handed out.
            let sentToDisabled = Fixtures.webhookEvent("portico.test", scope: scope, at: Fixtures.now - 4_000)
            #expect(try await store.insertEvent(sentToDisabled, onlyTo: disabled, completing: nil) == 1)
            let offered = OfferedDeliveries()

            let work = try await store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], perEndpoint: 10) { offered.takeAll($0) }

            var expected: [String] = []
            for event in due { expected.append(try await Self.delivery(of: event, to: enabled, in: store).id) }
            #expect(offered.ids == expected)
            #expect(Set(work.jobs.map(\.delivery.id)) == Set(expected))
            #expect(work.jobs.allSatisfy { $0.endpoint == enabled })
            #expect(Set(work.jobs.map(\.event.id)) == Set(due.map(\.id)))
            #expect(work.jobs.allSatisfy { $0.delivery.eventId == $0.event.id })
            #expect(work.claimedButGone.isEmpty)
            #expect(work.nextDueAt == Fixtures.now + 60_000)
        }
    }

    @Test(arguments: StoreEngine.all)
    func claimingOffersAtMostPerEndpointEachAndNoneOfTheExcludedEndpoints(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let first = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let second = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let busy = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let events = try await Self.insertEvents(scope, at: (0..<4).map { Fixtures.now - 4_000 + Int64($0) * 1_000 }, in: store)
            let offered = OfferedDeliveries()

            let work = try await store.claimDueWork(now: Fixtures.now, excludingEndpoints: [busy.id], perEndpoint: 2) { offered.takeAll($0) }

            #expect(offered.endpointIds.filter { $0 == first.id }.count == 2)
            #expect(offered.endpointIds.filter { $0 == second.id }.count == 2)
            #expect(!offered.endpointIds.contains(busy.id))
            #expect(work.jobs.count == 4)
            for endpoint in [first, second] {
                let eventIds = work.jobs.filter { $0.endpoint.id == endpoint.id }.map(\.event.id)
                #expect(Set(eventIds) == [events[0].id, events[1].id])
            }
        }
    }

    @Test(arguments: StoreEngine.all)
    func aListenersDeliveriesAreOfferedOnlyToTheInstanceHoldingItsConnection(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let ordinary = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            var listener = Fixtures.webhookEndpoint(scope, at: Fixtures.now - 1)
            listener.url = WebhookEndpointRecord.listenerURLPrefix + listener.id
            try await Fixtures.insertedWebhookEndpoint(listener, in: store)
            try await Self.insertEvents(scope, at: [Fixtures.now - 1_000], in: store)

            // An instance that does not hold the listener's connection is offered the ordinary endpoint's only.
            let elsewhere = OfferedDeliveries()
            _ = try await store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], listeners: ["we_other"], perEndpoint: 10) {
                elsewhere.takeAll($0)
            }
            #expect(elsewhere.endpointIds == [ordinary.id])
            let holder = OfferedDeliveries()
            let work = try await store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], listeners: [listener.id], perEndpoint: 10) {
                holder.takeAll($0)
            }
            #expect(Set(holder.endpointIds) == [ordinary.id, listener.id])
            #expect(work.jobs.contains { $0.endpoint.id == listener.id })

            // The holder marks it held; only the listeners named move, and never back in time.
            try await store.touchEndpoints(ids: [listener.id], at: Fixtures.now + 5_000)
            try await store.touchEndpoints(ids: [listener.id], at: Fixtures.now + 1_000)
            #expect(try await store.endpoint(id: listener.id, scope: scope)?.updatedAt == Fixtures.now + 5_000)
            #expect(try await store.endpoint(id: ordinary.id, scope: scope)?.updatedAt == ordinary.updatedAt)
        }
    }

    @Test(arguments: StoreEngine.all)
    func onlyTheDeliveriesTheClaimPicksBecomeJobsAndClaimingChangesNothingStored(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let events = try await Self.insertEvents(scope, at: [Fixtures.now - 2_000, Fixtures.now - 1_000, Fixtures.now], in: store)
            let newest = try await Self.delivery(of: events[2], to: endpoint, in: store)

            let picked = try await store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], perEndpoint: 10) { due in
                due.map { $0.id }.filter { $0 == newest.id }
            }
            let none = try await store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], perEndpoint: 10) { _ in [] }
            let offered = OfferedDeliveries()
            let again = try await store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], perEndpoint: 10) { offered.takeAll($0) }

            #expect(picked.jobs.map(\.delivery.id) == [newest.id])
            #expect(picked.jobs.first?.event == events[2])
            #expect(none.jobs.isEmpty)
            // A claimed delivery is still owed until its attempt is recorded.
            #expect(offered.ids.count == 3)
            #expect(again.jobs.count == 3)
            #expect(try await store.deliveryBacklog().owed == 3)
        }
    }

    @Test(arguments: StoreEngine.all)
    func twoDispatchersSharingAClaimedSetNeverGetTheSameDelivery(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            for _ in 0..<4 { try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store) }
            try await Self.insertEvents(scope, at: (0..<10).map { Fixtures.now - 10_000 + Int64($0) * 100 }, in: store)
            let owed = try await Set(store.deliveries(scope: scope, filter: DeliveryFilter(), page: Fixtures.wholePage).items.map(\.delivery.id))
            #expect(owed.count == 40)

            for _ in 0..<5 {
                let claimed = ClaimedDeliveries()
                async let first = store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], perEndpoint: 100) { claimed.claim($0) }
                async let second = store.claimDueWork(now: Fixtures.now, excludingEndpoints: [], perEndpoint: 100) { claimed.claim($0) }
                let (one, other) = try await (first, second)

                let oneIds = one.jobs.map(\.delivery.id)
                let otherIds = other.jobs.map(\.delivery.id)
                #expect(Set(oneIds).isDisjoint(with: otherIds))
                #expect(oneIds.count + otherIds.count == owed.count)
                #expect(Set(oneIds).union(otherIds) == owed)
            }
        }
    }

    @Test(arguments: StoreEngine.all)
    func recordingAnAttemptAppliesItsOutcomeToTheDeliveryAndItsEndpoint(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = try await Self.insertEvents(scope, at: [Fixtures.now], in: store)[0]
            let delivery = try await Self.delivery(of: event, to: endpoint, in: store)
            let attemptedAt = Fixtures.now + 1_000
            let retryAt = attemptedAt + 5_000

            try await store.recordAttempts([
                Fixtures.webhookAttempt(delivery.id, at: attemptedAt, statusCode: 500, leaving: .failed, retryAt: retryAt)
            ])

            let (view, attempts) = try #require(try await store.delivery(id: delivery.id, scope: scope))
            #expect(view.delivery.status == .failed)
            #expect(view.delivery.attemptCount == 1)
            #expect(view.delivery.nextAttemptAt == retryAt)
            #expect(view.delivery.lastAttemptAt == attemptedAt)
            #expect(view.delivery.lastStatusCode == 500)
            #expect(view.delivery.updatedAt == attemptedAt)
            #expect(attempts.count == 1)
            #expect(attempts.first?.statusCode == 500)
            #expect(attempts.first?.errorKind == .http)
            #expect(attempts.first?.attemptedAt == attemptedAt)
            #expect(try await store.endpoint(id: endpoint.id, scope: scope)?.failingSince == attemptedAt)
            let backlog = try await store.deliveryBacklog()
            #expect(backlog.owed == 1)
            #expect(backlog.oldestDueAt == retryAt)
            let early = try await store.claimDueWork(now: retryAt - 1, excludingEndpoints: [], perEndpoint: 10) { due in due.map { $0.id } }
            #expect(early.jobs.isEmpty)
            #expect(early.nextDueAt == retryAt)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anOutcomeThatDisablesItsEndpointKillsWhatItStillOwesAndPublishesItsEvents(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let gone = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope, events: ["*"]), in: store)
            let watcher = try await Fixtures.insertedWebhookEndpoint(
                Fixtures.webhookEndpoint(scope, events: ["webhook_endpoint.disabled"]),
                in: store
            )
            let events = try await Self.insertEvents(scope, at: [Fixtures.now, Fixtures.now + 1_000], in: store)
            let attempted = try await Self.delivery(of: events[0], to: gone, in: store)
            let attemptedAt = Fixtures.now + 2_000
            let notice = Fixtures.webhookEvent("webhook_endpoint.disabled", scope: scope, at: attemptedAt)

            try await store.recordAttempts([
                Fixtures.webhookAttempt(attempted.id, at: attemptedAt, statusCode: 410, leaving: .dead, events: [notice]) { endpoint in
                    endpoint.status = .disabled
                    endpoint.disabledReason = "gone"
                    endpoint.updatedAt = attemptedAt
                }
            ])

            let stored = try #require(try await store.endpoint(id: gone.id, scope: scope))
            #expect(stored.status == .disabled)
            #expect(stored.disabledReason == "gone")
            #expect(try await Self.delivery(of: events[0], to: gone, in: store).status == .dead)
            let owed = try await Self.delivery(of: events[1], to: gone, in: store)
            #expect(owed.status == .dead)
            #expect(owed.nextAttemptAt == nil)
            #expect(try await store.event(id: notice.id, scope: scope) == notice)
            let announced = try await store.deliveries(scope: scope, filter: DeliveryFilter(eventId: notice.id), page: Fixtures.wholePage).items
            #expect(announced.map(\.delivery.endpointId) == [watcher.id])
            #expect(try await store.deliveryBacklog().owed == 1)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anAttemptWhoseDeliveryIsGoneIsSkipped(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let event = try await Self.insertEvents(scope, at: [Fixtures.now], in: store)[0]
            let delivery = try await Self.delivery(of: event, to: endpoint, in: store)

            try await store.recordAttempts([
                Fixtures.webhookAttempt("whd_missing", at: Fixtures.now + 1_000, statusCode: 200, leaving: .succeeded),
                Fixtures.webhookAttempt(delivery.id, at: Fixtures.now + 1_000, statusCode: 200, leaving: .succeeded),
            ])

            let (view, attempts) = try #require(try await store.delivery(id: delivery.id, scope: scope))
            #expect(view.delivery.status == .succeeded)
            #expect(attempts.count == 1)
            let stats = try await store.webhookAttemptStats(scope: scope, from: Fixtures.now, until: Fixtures.now + 3_600_000)
            #expect(stats.succeeded == 1)
            #expect(stats.failed == 0)
        }
    }

    @Test(arguments: StoreEngine.all)
    func attemptStatisticsCountSucceededAndFailedAttemptsByHour(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let endpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(scope), in: store)
            let events = try await Self.insertEvents(scope, at: [Fixtures.now, Fixtures.now + 1, Fixtures.now + 2], in: store)
            var deliveries: [String] = []
            for event in events { deliveries.append(try await Self.delivery(of: event, to: endpoint, in: store).id) }
            let hour: Int64 = 3_600_000

            try await store.recordAttempts([
                Fixtures.webhookAttempt(deliveries[0], at: Fixtures.now + 1_000, statusCode: 204, leaving: .succeeded),
                Fixtures.webhookAttempt(deliveries[1], at: Fixtures.now + 2_000, statusCode: 500, leaving: .failed, retryAt: Fixtures.now + hour),
                Fixtures.webhookAttempt(deliveries[2], at: Fixtures.now + 2 * hour + 5, statusCode: nil, leaving: .dead),
            ])

            func stats(_ scope: TenantScope, from: Int64, until: Int64) async throws -> [Int64] {
                let stats = try await store.webhookAttemptStats(scope: scope, from: from, until: until)
                return [stats.succeeded, stats.failed]
            }
            #expect(try await stats(scope, from: Fixtures.now, until: Fixtures.now + hour) == [1, 1])
            #expect(try await stats(scope, from: Fixtures.now, until: Fixtures.now + 3 * hour) == [1, 2])
            #expect(try await stats(scope, from: Fixtures.now + hour, until: Fixtures.now + 3 * hour) == [0, 1])
            #expect(try await stats(Fixtures.tenant(acme, livemode: true), from: Fixtures.now, until: Fixtures.now + 3 * hour) == [0, 0])
        }
    }

    @Test(arguments: StoreEngine.all)
    func theBacklogCountsWhatIsOwedAcrossTenantsAndTheOldestDueTime(engine: StoreEngine) async throws {
        try await engine.with { store in
            let empty = try await store.deliveryBacklog()
            #expect(empty.owed == 0)
            #expect(empty.oldestDueAt == nil)
            let acme = Fixtures.tenant(try await Fixtures.seededOrganization("Acme", in: store))
            let other = Fixtures.tenant(try await Fixtures.seededOrganization("Other", in: store))
            let acmeEndpoint = try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(acme), in: store)
            try await Fixtures.insertedWebhookEndpoint(Fixtures.webhookEndpoint(other), in: store)
            let oldest = try await Self.insertEvents(acme, at: [Fixtures.now - 5_000, Fixtures.now], in: store)[0]
            try await Self.insertEvents(other, at: [Fixtures.now - 2_000], in: store)

            let before = try await store.deliveryBacklog()
            #expect(before.owed == 3)
            #expect(before.oldestDueAt == Fixtures.now - 5_000)

            let delivered = try await Self.delivery(of: oldest, to: acmeEndpoint, in: store)
            try await store.recordAttempts([Fixtures.webhookAttempt(delivered.id, at: Fixtures.now, statusCode: 200, leaving: .succeeded)])
            let after = try await store.deliveryBacklog()
            #expect(after.owed == 2)
            #expect(after.oldestDueAt == Fixtures.now - 2_000)
        }
    }
}
