import Foundation
import PorticoCore
import Testing

@testable import PorticoStore

/// Stored `Idempotency-Key` responses as every engine must keep them, races included.
struct IdempotencyContractTests {
    /// How one request fared in storing its response.
    private enum Outcome: Hashable {
        case saved
        case taken
    }

    /// Runs `save`, telling a lost race (`IdempotencyKeyTaken`) from a win; any other error is rethrown.
    private static func contend(_ save: () async throws -> Void) async throws -> Outcome {
        do {
            try await save()
            return .saved
        } catch is IdempotencyKeyTaken {
            return .taken
        }
    }

    @Test(arguments: StoreEngine.all)
    func aSavedResponseIsFoundByItsKeyWithTheHashOfTheRequestThatStoredIt(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let request = Fixtures.idempotentRequest(scope, key: "key-1", body: #"{"name":"Ada"}"#)
            let response = IdempotentResponse(status: 202, contentType: nil, body: Data(#"{"ok":true}"#.utf8))

            try await store.saveIdempotentResponse(response, for: request)
            let found = try #require(try await store.idempotentResponse(for: request, now: Fixtures.now))
            #expect(found.requestHash == request.requestHash && found.response == response)

            // A retry with another body finds the stored hash, so the caller can refuse it.
            let retry = Fixtures.idempotentRequest(scope, key: "key-1", body: #"{"name":"Eve"}"#, at: Fixtures.now + 5)
            let replay = try #require(try await store.idempotentResponse(for: retry, now: Fixtures.now + 5))
            #expect(replay.requestHash == request.requestHash && replay.requestHash != retry.requestHash)
            #expect(replay.response == response)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anotherKeyModeOrOrganizationFindsNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let other = try await Fixtures.insert(Fixtures.organization("Other", at: Fixtures.now + 1), into: store)
            let request = Fixtures.idempotentRequest(Fixtures.tenant(acme), key: "key-1")
            try await store.saveIdempotentResponse(Fixtures.response("{}"), for: request)

            let strangers = [
                Fixtures.idempotentRequest(Fixtures.tenant(acme), key: "key-2"),
                Fixtures.idempotentRequest(Fixtures.tenant(acme, livemode: true), key: "key-1"),
                Fixtures.idempotentRequest(Fixtures.tenant(other), key: "key-1"),
            ]
            for stranger in strangers {
                #expect(try await store.idempotentResponse(for: stranger, now: Fixtures.now)?.response == nil)
            }
            // The same key elsewhere is a different key: saving it is no conflict.
            for stranger in strangers {
                try await store.saveIdempotentResponse(Fixtures.response(#"{"elsewhere":true}"#), for: stranger)
            }
            #expect(try await store.idempotentResponse(for: request, now: Fixtures.now)?.response == Fixtures.response("{}"))
        }
    }

    @Test(arguments: StoreEngine.all)
    func aResponseIsGoneAtItsExpiryTime(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let request = Fixtures.idempotentRequest(Fixtures.tenant(acme), key: "key-1", ttl: 1_000)
            try await store.saveIdempotentResponse(Fixtures.response("{}"), for: request)

            #expect(try await store.idempotentResponse(for: request, now: request.expiresAt - 1)?.response == Fixtures.response("{}"))
            #expect(try await store.idempotentResponse(for: request, now: request.expiresAt)?.response == nil)
        }
    }

    @Test(arguments: StoreEngine.all)
    func pruningDeletesOnlyExpiredResponses(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let short = Fixtures.idempotentRequest(scope, key: "short", ttl: 1_000)
            let shorter = Fixtures.idempotentRequest(scope, key: "shorter", ttl: 500)
            let long = Fixtures.idempotentRequest(scope, key: "long", ttl: Fixtures.day)
            for request in [short, shorter, long] {
                try await store.saveIdempotentResponse(Fixtures.response(#"{"key":"\#(request.expiresAt)"}"#), for: request)
            }

            #expect(try await store.pruneIdempotencyKeys(now: Fixtures.now + 499) == 0)
            #expect(try await store.pruneIdempotencyKeys(now: Fixtures.now + 1_000) == 2)
            #expect(try await store.pruneIdempotencyKeys(now: Fixtures.now + 1_000) == 0)
            #expect(try await store.idempotentResponse(for: long, now: Fixtures.now + 1_000) != nil)

            // A pruned key is free again.
            let again = Fixtures.idempotentRequest(scope, key: "short", body: "again", at: Fixtures.now + 1_000)
            try await store.saveIdempotentResponse(Fixtures.response("{}"), for: again)
            #expect(try await store.idempotentResponse(for: again, now: Fixtures.now + 1_000)?.requestHash == again.requestHash)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aLiveKeyIsTakenAndKeepsItsFirstResponse(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let first = Fixtures.idempotentRequest(Fixtures.tenant(acme), key: "key-1", body: "first")
            let second = Fixtures.idempotentRequest(Fixtures.tenant(acme), key: "key-1", body: "second", at: Fixtures.now + 10)
            try await store.saveIdempotentResponse(Fixtures.response("first"), for: first)

            await #expect(throws: IdempotencyKeyTaken.self) {
                try await store.saveIdempotentResponse(Fixtures.response("second"), for: second)
            }
            let stored = try #require(try await store.idempotentResponse(for: first, now: Fixtures.now + 10))
            #expect(stored.requestHash == first.requestHash && stored.response == Fixtures.response("first"))
        }
    }

    @Test(arguments: StoreEngine.all)
    func concurrentSavesOfOneKeyLetExactlyOneWin(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            for round in 0..<8 {
                let key = "race-\(round)"
                let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                    for contender in 0..<4 {
                        let body = "contender \(contender)"
                        let request = Fixtures.idempotentRequest(scope, key: key, body: body)
                        group.addTask {
                            try await Self.contend { try await store.saveIdempotentResponse(Fixtures.response(body), for: request) }
                        }
                    }
                    var all: [Outcome] = []
                    for try await outcome in group { all.append(outcome) }
                    return all
                }
                #expect(outcomes.filter { $0 == .saved }.count == 1, "round \(round): \(outcomes)")
                #expect(outcomes.filter { $0 == .taken }.count == 3, "round \(round): \(outcomes)")

                // The row is wholly the winner's: its response and its request's hash.
                let stored = try #require(try await store.idempotentResponse(for: Fixtures.idempotentRequest(scope, key: key), now: Fixtures.now))
                #expect(stored.requestHash == Fixtures.requestHash(String(decoding: stored.response.body, as: UTF8.self)))
            }
        }
    }

    @Test(arguments: StoreEngine.all)
    func concurrentWritesWithOneKeyCommitExactlyOneCustomer(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let customers = (0..<4).map { Fixtures.customer(in: scope, name: "Contender \($0)") }
            let request = Fixtures.idempotentRequest(scope, key: "create-once")

            let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                for customer in customers {
                    group.addTask {
                        try await Self.contend {
                            try await store.insertCustomer(
                                customer,
                                event: Fixtures.event("customer.created", about: customer),
                                completing: Fixtures.completion(request, storing: Fixtures.response(#"{"id":"\#(customer.id)"}"#))
                            )
                        }
                    }
                }
                var all: [Outcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == .saved }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == .taken }.count == 3, "\(outcomes)")
            let page = try await store.customers(scope: scope, email: nil, page: PageRequest(limit: 10))
            let winner = try #require(page.items.first)
            #expect(page.items.count == 1)
            #expect(try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 10)).items.count == 1)
            let stored = try #require(try await store.idempotentResponse(for: request, now: Fixtures.now))
            #expect(stored.response == Fixtures.response(#"{"id":"\#(winner.id)"}"#))
        }
    }

    @Test(arguments: StoreEngine.all)
    func aWriteWhoseKeyIsAlreadyStoredIsRefusedWhole(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let first = Fixtures.idempotentRequest(scope, key: "key-1", body: "first")
            try await store.saveIdempotentResponse(Fixtures.response("first"), for: first)
            let customer = Fixtures.customer(in: scope, at: Fixtures.now + 10)
            let event = Fixtures.event("customer.created", about: customer, at: Fixtures.now + 10)
            let retry = Fixtures.idempotentRequest(scope, key: "key-1", body: "second", at: Fixtures.now + 10)
            let commits = Fixtures.Commits()

            await #expect(throws: IdempotencyKeyTaken.self) {
                try await store.insertCustomer(
                    customer,
                    event: event,
                    completing: Fixtures.completion(retry, storing: Fixtures.response("second"), commits: commits)
                )
            }
            #expect(try await store.customer(id: customer.id, scope: scope) == nil)
            #expect(try await store.event(id: event.id, scope: scope) == nil)
            #expect(commits.responses.isEmpty)
            let stored = try #require(try await store.idempotentResponse(for: first, now: Fixtures.now + 10))
            #expect(stored.requestHash == first.requestHash && stored.response == Fixtures.response("first"))
        }
    }

    @Test(arguments: StoreEngine.all)
    func anExpiredKeyIsTakenOverByTheNextRequest(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let scope = Fixtures.tenant(acme)
            let old = Fixtures.idempotentRequest(scope, key: "key-1", body: "old", ttl: 1_000)
            try await store.saveIdempotentResponse(Fixtures.response("old"), for: old)

            // Made when the old response expires, and never pruned in between.
            let fresh = Fixtures.idempotentRequest(scope, key: "key-1", body: "new", at: old.expiresAt)
            let customer = Fixtures.customer(in: scope, at: old.expiresAt)
            try await store.insertCustomer(
                customer,
                event: Fixtures.event("customer.created", about: customer, at: old.expiresAt),
                completing: Fixtures.completion(fresh, storing: Fixtures.response("new"))
            )
            #expect(try await store.customer(id: customer.id, scope: scope) == customer)
            let stored = try #require(try await store.idempotentResponse(for: fresh, now: old.expiresAt))
            #expect(stored.requestHash == fresh.requestHash && stored.response == Fixtures.response("new"))
            // It lives as long as the fresh request says.
            #expect(try await store.idempotentResponse(for: fresh, now: fresh.expiresAt - 1)?.response == Fixtures.response("new"))
            #expect(try await store.pruneIdempotencyKeys(now: old.expiresAt) == 0)
        }
    }
}
