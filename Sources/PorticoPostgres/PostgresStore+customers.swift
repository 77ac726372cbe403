import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Customers

extension PostgresStore {
    package func insertCustomer(_ customer: CustomerRecord, event: EventRecord, completing completion: IdempotentCompletion<Void>?) async throws {
        try await write(completing: completion) { connection in
            try await connection.insert(customer, logger: logger)
            _ = try await self.publish(event, connection)
        }
    }

    package func customer(id: String, scope: TenantScope) async throws -> CustomerRecord? {
        try await read { connection in
            try await connection.one(
                CustomerRecord.self,
                "SELECT * FROM customers WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                logger: logger
            )
        }
    }

    package func updateCustomer(
        id: String,
        scope: TenantScope,
        _ change: @escaping @Sendable (inout CustomerRecord) -> Void,
        event: @escaping @Sendable (_ before: CustomerRecord, _ after: CustomerRecord) throws -> EventRecord?
    ) async throws -> CustomerRecord? {
        try await write { connection in
            guard
                let before = try await connection.one(
                    CustomerRecord.self,
                    "SELECT * FROM customers WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode) FOR UPDATE",
                    logger: logger
                )
            else { return nil }
            var customer = before
            change(&customer)
            try await connection.update(customer, logger: logger)
            if let event = try event(before, customer) { _ = try await self.publish(event, connection) }
            return customer
        }
    }

    package func deleteCustomer(
        id: String,
        scope: TenantScope,
        event: @escaping @Sendable (CustomerRecord) throws -> EventRecord
    ) async throws -> Bool {
        try await write { connection in
            guard
                let customer = try await connection.one(
                    CustomerRecord.self,
                    """
                    DELETE FROM customers WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)
                    RETURNING *
                    """,
                    logger: logger
                )
            else { return false }
            _ = try await self.publish(try event(customer), connection)
            return true
        }
    }

    package func customers(scope: TenantScope, email: String?, page: PageRequest) async throws -> Page<CustomerRecord> {
        try await read { connection in
            try await connection.page(
                CustomerRecord.self,
                from: "customers",
                where: """
                    organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)
                    AND (\(email)::text IS NULL OR email = \(email))
                    """,
                page: page,
                logger: logger
            )
        }
    }
}

// MARK: - Events (the outbox)

extension PostgresStore {
    /// Writes `event` and one pending delivery for every enabled endpoint of its tenant
    /// subscribed to its type (or only to `endpoint`), inside the caller's transaction;
    /// returns how many deliveries were queued. The endpoints are read `FOR SHARE`: an
    /// endpoint disabled or deleted by another transaction at this moment is waited for.
    func publish(_ event: EventRecord, _ connection: PostgresConnection, onlyTo endpoint: WebhookEndpointRecord? = nil) async throws -> Int {
        try await connection.insert(event, logger: logger)
        let candidates: [WebhookEndpointRecord]
        if let endpoint {
            candidates = [endpoint]
        } else {
            candidates = try await connection.all(
                WebhookEndpointRecord.self,
                // KEY SHARE: events fan out side by side and beside attempts being recorded (NO KEY
                // UPDATE); only a change that gives up an endpoint's deliveries (FOR UPDATE, in
                // `save`) or a delete waits for them, so no delivery is left behind for it.
                "SELECT * FROM webhook_endpoints WHERE organization_id = \(event.organizationId) AND livemode = \(event.livemode) FOR KEY SHARE",
                logger: logger
            )
        }
        let deliveries = Fanout.deliveries(of: event, to: endpoint.map { [$0] } ?? Fanout.recipients(of: event, among: candidates))
        for delivery in deliveries { try await connection.insert(delivery, logger: logger) }
        if !deliveries.isEmpty { Self.afterCommit?.note(.deliveries) }
        return deliveries.count
    }

    @discardableResult
    package func insertEvent(
        _ event: EventRecord,
        onlyTo endpoint: WebhookEndpointRecord?,
        completing completion: IdempotentCompletion<Int>?
    ) async throws
        -> Int
    {
        try await write(completing: completion) { connection in try await self.publish(event, connection, onlyTo: endpoint) }
    }

    package func event(id: String, scope: TenantScope) async throws -> EventRecord? {
        try await read { connection in
            try await connection.one(
                EventRecord.self,
                "SELECT * FROM events WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                logger: logger
            )
        }
    }

    /// A page of the tenant's events, newest first; `customer.*` matches whole leading segments.
    package func events(scope: TenantScope, filter: EventFilter, page: PageRequest) async throws -> Page<EventRecord> {
        let since = filter.since.map { Identifier.lowerBound("evt", at: $0) }
        let until = filter.until.map { Identifier.lowerBound("evt", at: $0) }
        var exact: String?
        var prefix: String?
        if let pattern = filter.type, pattern.description != "*" {
            if pattern.description.hasSuffix(".*") {
                prefix = String(pattern.description.dropLast())
            } else {
                exact = pattern.description
            }
        }
        return try await read { connection in
            try await connection.page(
                EventRecord.self,
                from: "events",
                where: """
                    organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)
                    AND (\(since)::text IS NULL OR id >= \(since)) AND (\(until)::text IS NULL OR id < \(until))
                    AND (\(exact)::text IS NULL OR type = \(exact))
                    AND (\(prefix)::text IS NULL OR starts_with(lower(type), lower(\(prefix))))
                    """,
                page: page,
                logger: logger
            )
        }
    }
}
