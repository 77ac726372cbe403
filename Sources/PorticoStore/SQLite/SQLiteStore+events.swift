import Foundation
import GRDB
import PorticoCore

// MARK: - Events (the outbox)

extension SQLiteStore {
    /// Writes `event` and one pending delivery for every enabled endpoint of
    /// its tenant subscribed to its type (or only to `endpoint`, for test
    /// events), inside the caller's transaction: the event, its deliveries
    /// and the change that caused them commit together or not at all. Wakes
    /// the dispatcher once the transaction commits.
    @discardableResult
    func publish(_ event: EventRecord, in db: Database, onlyTo endpoint: WebhookEndpointRecord? = nil) throws -> Int {
        try event.insert(db)
        // Who gets it is Core's rule (`Fanout`); a test event goes to its one endpoint.
        let recipients = try endpoint.map { [$0] } ?? Fanout.recipients(of: event, among: WebhookEndpointRecord.scoped(event.scope).fetchAll(db))
        let deliveries = Fanout.deliveries(of: event, to: recipients)
        for delivery in deliveries { try delivery.insert(db) }
        if !deliveries.isEmpty {
            db.afterNextTransaction { [deliveriesQueued = self.deliveriesQueued] _ in deliveriesQueued.fire() }
        }
        return deliveries.count
    }

    /// Records an event on its own (`POST /v1/events`); returns how many deliveries it queued.
    @discardableResult
    package func insertEvent(
        _ event: EventRecord,
        onlyTo endpoint: WebhookEndpointRecord?,
        completing completion: IdempotentCompletion<Int>?
    ) async throws -> Int {
        try await write(completing: completion) { db in try self.publish(event, in: db, onlyTo: endpoint) }
    }

    package func event(id: String, scope: TenantScope) async throws -> EventRecord? {
        try await readOneStatement { db in try EventRecord.fetchOne(db, id: id, scope: scope) }
    }

    /// A page of the tenant's events, newest first. A wildcard type filter
    /// (`customer.*`) is a prefix match on whole segments.
    package func events(scope: TenantScope, filter: EventFilter, page: PageRequest) async throws -> Page<EventRecord> {
        var query = TenantPageQuery<EventRecord>(scope: scope, page: page)
            .filter("id >= ?", filter.since.map { Identifier.lowerBound("evt", at: $0) })
            .filter("id < ?", filter.until.map { Identifier.lowerBound("evt", at: $0) })
        if let pattern = filter.type, pattern.description != "*" {
            if pattern.description.hasSuffix(".*") {
                // `customer.*` → LIKE 'customer.%' with `_` (LIKE's one-character wildcard) escaped.
                let prefix = pattern.description.dropLast().replacingOccurrences(of: "_", with: "\\_")
                query = query.filter("type LIKE ? ESCAPE '\\'", prefix + "%")
            } else {
                query = query.filter("type = ?", pattern.description)
            }
        }
        return try await readOneStatement { [query] db in try query.fetch(db) }
    }

    /// Deletes events made before `cutoff` (milliseconds), with their
    /// deliveries and attempts (foreign-key cascades); returns how many. Events
    /// with a delivery still owed stay.
    package func pruneEvents(before cutoff: Int64) async throws -> Int {
        // An event a delivery is still owed for (retrying, or held for a suspended organization) stays until it is done.
        try await deleteInBatches(
            from: "events",
            key: "id",
            where: "id < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id AND d.next_attempt_at IS NOT NULL)",
            [Identifier.lowerBound("evt", at: cutoff).databaseValue]
        )
    }
}
