import GRDB
import PorticoCore

// MARK: - Customers

extension SQLiteStore {
    /// Inserts a customer and publishes `event` (its `customer.created`) in the same transaction.
    package func insertCustomer(_ customer: CustomerRecord, event: EventRecord, completing completion: IdempotentCompletion<Void>?) async throws {
        try await write(completing: completion) { db in
            try customer.insert(db)
            try self.publish(event, in: db)
        }
    }

    package func customer(id: String, scope: TenantScope) async throws -> CustomerRecord? {
        try await read { db in try CustomerRecord.scoped(scope).filter(CustomerRecord.Columns.id == id).fetchOne(db) }
    }

    /// Applies `change` to the tenant's customer and saves it, and publishes
    /// the event `event` makes of the before and after (nil: nothing worth
    /// an event changed), all in one transaction; nil when no such customer
    /// exists for this tenant.
    package func updateCustomer(
        id: String,
        scope: TenantScope,
        _ change: @escaping @Sendable (inout CustomerRecord) -> Void,
        event: @escaping @Sendable (_ before: CustomerRecord, _ after: CustomerRecord) throws -> EventRecord?
    ) async throws -> CustomerRecord? {
        try await writeTransaction { db in
            guard let before = try CustomerRecord.scoped(scope).filter(CustomerRecord.Columns.id == id).fetchOne(db) else {
                return nil
            }
            var customer = before
            change(&customer)
            try customer.update(db)
            if let event = try event(before, customer) { try self.publish(event, in: db) }
            return customer
        }
    }

    /// Deletes the tenant's customer and publishes the event `event` makes
    /// of it, in one transaction; false when there was none.
    package func deleteCustomer(
        id: String,
        scope: TenantScope,
        event: @escaping @Sendable (CustomerRecord) throws -> EventRecord
    ) async throws -> Bool {
        try await writeTransaction { db in
            guard let customer = try CustomerRecord.scoped(scope).filter(CustomerRecord.Columns.id == id).fetchOne(db) else {
                return false
            }
            try customer.delete(db)
            try self.publish(try event(customer), in: db)
            return true
        }
    }

    package func customers(scope: TenantScope, email: String?, page: PageRequest) async throws -> Page<CustomerRecord> {
        try await read { db in
            var request = CustomerRecord.scoped(scope)
            if let email { request = request.filter(CustomerRecord.Columns.email == email) }
            return try request.page(page, id: CustomerRecord.Columns.id, db: db)
        }
    }
}

/// A record with `organization_id` and `livemode` columns: every business
/// query is scoped by both, so another tenant's row is never seen.
protocol TenantScopedRecord: TableRecord {}

extension TenantScopedRecord {
    static func scoped(_ scope: TenantScope) -> QueryInterfaceRequest<Self> {
        filter(Column("organization_id") == scope.organizationId && Column("livemode") == scope.livemode)
    }
}

extension CustomerRecord: TenantScopedRecord {}
extension EventRecord: TenantScopedRecord {}
extension InvoiceRecord: TenantScopedRecord {}
extension WebhookEndpointRecord: TenantScopedRecord {}
extension WebhookDeliveryRecord: TenantScopedRecord {}
extension WebhookReplayRecord: TenantScopedRecord {}

extension QueryInterfaceRequest where RowDecoder: FetchableRecord & Sendable {
    /// Fetches one cursor page ordered by a time-sortable id column, newest first.
    func page(_ page: PageRequest, id: Column, db: Database) throws -> Page<RowDecoder> {
        let limit = page.limit
        if let before = page.endingBefore {
            let rows = try filter(id > before).order(id.asc).limit(limit + 1).fetchAll(db)
            return Page(items: Array(rows.prefix(limit).reversed()), hasMore: rows.count > limit)
        }
        var request = self
        if let after = page.startingAfter { request = request.filter(id < after) }
        let rows = try request.order(id.desc).limit(limit + 1).fetchAll(db)
        return Page(items: Array(rows.prefix(limit)), hasMore: rows.count > limit)
    }
}
