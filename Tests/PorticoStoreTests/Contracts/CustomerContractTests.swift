import PorticoCore
import Testing

@testable import PorticoStore

/// Customers, and the events their changes publish, as every engine must keep them.
struct CustomerContractTests {
    @Test(arguments: StoreEngine.all)
    func insertingACustomerPublishesItsEventWithIt(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope, email: "ada@example.com")
            let event = Fixtures.event("customer.created", about: customer)

            try await store.insertCustomer(customer, event: event)
            #expect(try await store.customer(id: customer.id, scope: scope) == customer)
            #expect(try await store.event(id: event.id, scope: scope) == event)
            #expect(try await store.customer(id: "cus_missing", scope: scope) == nil)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anotherTenantOrModeNeitherSeesNorChangesACustomer(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let other = try await Fixtures.insert(Fixtures.organization("Other", at: Fixtures.now + 1), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope)
            let event = try await Fixtures.insert(customer, into: store)

            for stranger in [Fixtures.tenant(acme, livemode: true), Fixtures.tenant(other)] {
                #expect(try await store.customer(id: customer.id, scope: stranger) == nil)
                #expect(try await store.event(id: event.id, scope: stranger) == nil)
                #expect(try await store.customers(scope: stranger, email: nil, page: PageRequest(limit: 10)).items.isEmpty)
                let updated = try await store.updateCustomer(id: customer.id, scope: stranger) {
                    $0.name = "Mallory"
                } event: { _, after in
                    Fixtures.event("customer.updated", about: after, at: Fixtures.now + 10)
                }
                #expect(updated == nil)
                let deleted = try await store.deleteCustomer(id: customer.id, scope: stranger) { gone in
                    Fixtures.event("customer.deleted", about: gone, at: Fixtures.now + 10)
                }
                #expect(!deleted)
                #expect(try await store.events(scope: stranger, filter: EventFilter(), page: PageRequest(limit: 10)).items.isEmpty)
            }
            #expect(try await store.customer(id: customer.id, scope: scope) == customer)
            #expect(try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 10)).items == [event])
        }
    }

    @Test(arguments: StoreEngine.all)
    func updatingAppliesTheChangeAndPublishesWhatTheEventMakesOfBeforeAndAfter(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope, name: "Ada Byron")
            try await Fixtures.insert(customer, into: store)
            let eventID = Identifier.make("evt", at: Fixtures.now + 10)

            let updated = try #require(
                try await store.updateCustomer(id: customer.id, scope: scope) { customer in
                    customer.name = "Ada Lovelace"
                    customer.updatedAt = Fixtures.now + 10
                } event: { before, after in
                    EventRecord(
                        id: eventID,
                        scope: scope,
                        type: "customer.updated",
                        data: #"{"object":{"name":"\#(after.name ?? "")"},"previous_attributes":{"name":"\#(before.name ?? "")"}}"#,
                        requestId: nil,
                        createdAt: Fixtures.now + 10
                    )
                }
            )
            #expect(updated.name == "Ada Lovelace" && updated.updatedAt == Fixtures.now + 10)
            #expect(updated.id == customer.id && updated.createdAt == customer.createdAt)
            #expect(try await store.customer(id: customer.id, scope: scope) == updated)
            let event = try #require(try await store.event(id: eventID, scope: scope))
            #expect(event.type == "customer.updated")
            #expect(event.data == #"{"object":{"name":"Ada Lovelace"},"previous_attributes":{"name":"Ada Byron"}}"#)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anUpdateWhoseEventIsNilSavesButPublishesNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope)
            let created = try await Fixtures.insert(customer, into: store)

            let updated = try await store.updateCustomer(id: customer.id, scope: scope) {
                $0.description = "internal note"
            } event: { _, _ in
                nil
            }
            #expect(updated?.description == "internal note")
            #expect(try await store.customer(id: customer.id, scope: scope)?.description == "internal note")
            #expect(try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 10)).items == [created])

            // No such customer: nil, and nothing published either.
            let missing = try await store.updateCustomer(id: "cus_missing", scope: scope) {
                $0.name = "Nobody"
            } event: { _, after in
                Fixtures.event("customer.updated", about: after, at: Fixtures.now + 10)
            }
            #expect(missing == nil)
            #expect(try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 10)).items == [created])
        }
    }

    @Test(arguments: StoreEngine.all)
    func deletingRemovesTheCustomerAndPublishesItsEventOnce(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope)
            let created = try await Fixtures.insert(customer, into: store)
            let eventID = Identifier.make("evt", at: Fixtures.now + 20)

            let deleted = try await store.deleteCustomer(id: customer.id, scope: scope) { gone in
                Fixtures.event("customer.deleted", about: gone, id: eventID, at: Fixtures.now + 20)
            }
            #expect(deleted)
            #expect(try await store.customer(id: customer.id, scope: scope) == nil)
            let event = try #require(try await store.event(id: eventID, scope: scope))
            #expect(event.type == "customer.deleted")
            #expect(event.data == Fixtures.event("customer.deleted", about: customer).data)

            let unused = Fixtures.event("customer.deleted", about: customer, at: Fixtures.now + 30)
            let again = try await store.deleteCustomer(id: customer.id, scope: scope) { _ in unused }
            #expect(!again)
            let events = try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 10)).items
            #expect(events.map(\.id) == [eventID, created.id])
        }
    }

    @Test(arguments: StoreEngine.all)
    func aDeleteWhoseEventFailsKeepsTheCustomer(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope)
            let created = try await Fixtures.insert(customer, into: store)

            await #expect(throws: Fixtures.RenderFailure.self) {
                try await store.deleteCustomer(id: customer.id, scope: scope) { _ in throw Fixtures.RenderFailure() }
            }
            #expect(try await store.customer(id: customer.id, scope: scope) == customer)
            #expect(try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 10)).items == [created])
        }
    }

    @Test(arguments: StoreEngine.all)
    func customersArePagedNewestFirstInBothDirections(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customers = (0..<5).map { Fixtures.customer(in: scope, name: "Customer \($0)", at: Fixtures.now + Int64($0)) }
            for customer in customers.reversed() { try await Fixtures.insert(customer, into: store) }
            try await Fixtures.insert(Fixtures.customer(in: Fixtures.tenant(acme, livemode: true), at: Fixtures.now + 9), into: store)

            func page(_ request: PageRequest) async throws -> (names: [String?], hasMore: Bool) {
                let result = try await store.customers(scope: scope, email: nil, page: request)
                return (result.items.map(\.name), result.hasMore)
            }
            let first = try await page(PageRequest(limit: 2))
            #expect(first.names == ["Customer 4", "Customer 3"] && first.hasMore)
            let second = try await page(PageRequest(limit: 2, startingAfter: customers[3].id))
            #expect(second.names == ["Customer 2", "Customer 1"] && second.hasMore)
            let last = try await page(PageRequest(limit: 2, startingAfter: customers[1].id))
            #expect(last.names == ["Customer 0"] && !last.hasMore)

            let previous = try await page(PageRequest(limit: 2, endingBefore: customers[0].id))
            #expect(previous.names == ["Customer 2", "Customer 1"] && previous.hasMore)
            let top = try await page(PageRequest(limit: 2, endingBefore: customers[2].id))
            #expect(top.names == ["Customer 4", "Customer 3"] && !top.hasMore)
            let all = try await page(PageRequest(limit: 10))
            #expect(all.names.count == 5 && !all.hasMore)
        }
    }

    @Test(arguments: StoreEngine.all)
    func theEmailFilterMatchesExactlyThatEmail(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let emails: [String?] = ["ada@example.com", "bob@example.com", "ada@example.com", nil, "ADA@example.com"]
            var customers: [CustomerRecord] = []
            for (offset, email) in emails.enumerated() {
                let customer = Fixtures.customer(in: scope, email: email, at: Fixtures.now + Int64(offset))
                try await Fixtures.insert(customer, into: store)
                customers.append(customer)
            }

            let adas = try await store.customers(scope: scope, email: "ada@example.com", page: PageRequest(limit: 10))
            #expect(adas.items == [customers[2], customers[0]] && !adas.hasMore)
            let newest = try await store.customers(scope: scope, email: "ada@example.com", page: PageRequest(limit: 1))
            #expect(newest.items == [customers[2]] && newest.hasMore)
            let older = try await store.customers(
                scope: scope,
                email: "ada@example.com",
                page: PageRequest(limit: 1, startingAfter: customers[2].id)
            )
            #expect(older.items == [customers[0]] && !older.hasMore)
            #expect(try await store.customers(scope: scope, email: "bob@example.com", page: PageRequest(limit: 10)).items == [customers[1]])
            #expect(try await store.customers(scope: scope, email: "nobody@example.com", page: PageRequest(limit: 10)).items.isEmpty)
            #expect(try await store.customers(scope: scope, email: nil, page: PageRequest(limit: 10)).items.count == 5)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aCustomerIsInsertedWithItsIdempotentResponse(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope)
            let event = Fixtures.event("customer.created", about: customer)
            let request = Fixtures.idempotentRequest(scope, body: #"{"name":"Ada Lovelace"}"#)
            let response = Fixtures.response(#"{"id":"\#(customer.id)"}"#, status: 201)
            let commits = Fixtures.Commits()

            try await store.insertCustomer(customer, event: event, completing: Fixtures.completion(request, storing: response, commits: commits))
            #expect(try await store.customer(id: customer.id, scope: scope) == customer)
            #expect(try await store.event(id: event.id, scope: scope) == event)
            #expect(try await store.idempotentResponse(for: request, now: Fixtures.now)?.response == response)
            #expect(commits.responses == [response])
        }
    }

    @Test(arguments: StoreEngine.all)
    func aCompletionThatCannotRenderRollsBackTheCustomerAndItsEvent(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customer = Fixtures.customer(in: scope)
            let event = Fixtures.event("customer.created", about: customer)
            let request = Fixtures.idempotentRequest(scope)
            let commits = Fixtures.Commits()

            await #expect(throws: Fixtures.RenderFailure.self) {
                try await store.insertCustomer(customer, event: event, completing: Fixtures.failingCompletion(request, commits: commits))
            }
            #expect(try await store.customer(id: customer.id, scope: scope) == nil)
            #expect(try await store.event(id: event.id, scope: scope) == nil)
            #expect(try await store.customers(scope: scope, email: nil, page: PageRequest(limit: 10)).items.isEmpty)
            #expect(try await store.idempotentResponse(for: request, now: Fixtures.now)?.response == nil)
            #expect(commits.responses.isEmpty)
        }
    }
}
