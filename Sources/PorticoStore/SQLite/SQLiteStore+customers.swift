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
        try await readOneStatement { db in try CustomerRecord.fetchOne(db, id: id, scope: scope) }
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
        let query = TenantPageQuery<CustomerRecord>(scope: scope, page: page).filter("email = ?", email)
        return try await readOneStatement { db in try query.fetch(db) }
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
    /// Fetches one cursor page ordered by a time-sortable id column, newest first
    /// (the colder lists; the API's hot ones use `TenantPageQuery`).
    func page(_ page: PageRequest, id: Column, db: Database) throws -> Page<RowDecoder> {
        let limit = page.limit
        if let before = page.endingBefore {
            return Page(rows: try filter(id > before).order(id.asc).limit(limit + 1).fetchAll(db), limit: limit, ascending: true)
        }
        var request = self
        if let after = page.startingAfter { request = request.filter(id < after) }
        return Page(rows: try request.order(id.desc).limit(limit + 1).fetchAll(db), limit: limit, ascending: false)
    }
}

/// A tenant's record read by position: every read selects `columns`, in
/// that order (`databaseSelection` pins the query interface to it), so
/// `init(row:)` reads `row[0]`, `row[1]`… The hot reads go through one
/// statement cached on their connection: the query interface's SQL
/// generation and fresh statement (parse, authorizer) cost more than the read.
package protocol PositionalRecord: FetchableRecord, TableRecord, Sendable {
    static var columns: String { get }
    /// The record from a row of `columns`, GRDB's or one stepped by hand.
    init(columns: some PositionalColumns)
}

extension PositionalRecord {
    package static var databaseSelection: [any SQLSelectable] {
        columns.split(separator: ",").map { Column($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The tenant's row with this id.
    static func fetchOne(_ db: Database, id: String, scope: TenantScope) throws -> Self? {
        try db.cachedStatement(sql: "SELECT \(columns) FROM \(databaseTableName) WHERE id = ? AND organization_id = ? AND livemode = ?")
            .rows(arguments: [id, scope.organizationId, scope.livemode], Self.init(columns:))
            .first
    }
}

/// One cursor page of a tenant's rows as a single cached statement (the
/// API's `/v1/customers` and `/v1/events`). The statement text depends only
/// on which filters are set, so each connection caches a handful.
struct TenantPageQuery<Record: PositionalRecord> {
    let scope: TenantScope
    let page: PageRequest
    private var conditions: [String] = []
    private var arguments: [any DatabaseValueConvertible & Sendable] = []

    init(scope: TenantScope, page: PageRequest) {
        self.scope = scope
        self.page = page
    }

    /// Adds `condition` (one `?`) when `value` is set.
    func filter(_ condition: String, _ value: (any DatabaseValueConvertible & Sendable)?) -> Self {
        guard let value else { return self }
        var query = self
        query.conditions.append(condition)
        query.arguments.append(value)
        return query
    }

    func fetch(_ db: Database) throws -> Page<Record> {
        let ascending = page.endingBefore != nil
        var conditions = ["organization_id = ?", "livemode = ?"] + self.conditions
        var arguments: [any DatabaseValueConvertible] = [scope.organizationId, scope.livemode] + self.arguments
        if let cursor = page.endingBefore ?? page.startingAfter {
            conditions.append(ascending ? "id > ?" : "id < ?")
            arguments.append(cursor)
        }
        arguments.append(page.limit + 1)
        let statement = try db.cachedStatement(
            sql: """
                SELECT \(Record.columns) FROM \(Record.databaseTableName) WHERE \(conditions.joined(separator: " AND "))
                ORDER BY id \(ascending ? "ASC" : "DESC") LIMIT ?
                """
        )
        return Page(
            rows: try statement.rows(arguments: StatementArguments(arguments), Record.init(columns:)),
            limit: page.limit,
            ascending: ascending
        )
    }
}
