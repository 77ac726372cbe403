import PorticoCore

/// Customers, the sample resource. Every change publishes its event in the same transaction.
package protocol CustomerStore: Sendable {
    func insertCustomer(_ customer: CustomerRecord, event: EventRecord, completing completion: IdempotentCompletion<Void>?) async throws
    func customer(id: String, scope: TenantScope) async throws -> CustomerRecord?
    /// Applies `change` and saves; publishes what `event` makes of before and
    /// after (nil: nothing changed worth an event). Nil when there is no such customer.
    func updateCustomer(
        id: String,
        scope: TenantScope,
        _ change: @escaping @Sendable (inout CustomerRecord) -> Void,
        event: @escaping @Sendable (_ before: CustomerRecord, _ after: CustomerRecord) throws -> EventRecord?
    ) async throws -> CustomerRecord?
    /// Deletes and publishes `event`; false when there is no such customer.
    func deleteCustomer(id: String, scope: TenantScope, event: @escaping @Sendable (CustomerRecord) throws -> EventRecord) async throws -> Bool
    /// A page, newest first, optionally only those with exactly this email.
    func customers(scope: TenantScope, email: String?, page: PageRequest) async throws -> Page<CustomerRecord>
}

extension CustomerStore {
    package func insertCustomer(_ customer: CustomerRecord, event: EventRecord) async throws {
        try await insertCustomer(customer, event: event, completing: nil)
    }
}
