import PorticoCore

/// Usage and invoices. Usage is written with the request logs
/// (`RequestLogStore.appendRequestLogs`), in the same transaction.
package protocol BillingStore: Sendable {
    /// Hourly usage rows in `[from, until)`, optionally one metric or one key.
    func usage(scope: TenantScope, from: Int64, until: Int64, metric: String?, keyId: String?) async throws -> [UsageRow]
    func usageTotal(scope: TenantScope, metric: String, from: Int64, until: Int64) async throws -> Int64
    /// Every tenant's total of `metric` in `[from, until)`.
    func usageTotals(metric: String, from: Int64, until: Int64) async throws -> [TenantScope: Int64]
    /// Metered requests per tenant counted from the request logs themselves (reconciliation).
    func meteredRequestCounts(from: Int64, until: Int64, width: Int64) async throws -> [TenantScope: Int64]
    /// Inserts the invoices not already there (one per organization, mode and period); returns those inserted.
    func insertInvoicesIfAbsent(_ invoices: [InvoiceRecord]) async throws -> [InvoiceRecord]
    func invoice(id: String, scope: TenantScope) async throws -> InvoiceRecord?
    func invoices(scope: TenantScope, page: PageRequest) async throws -> Page<InvoiceRecord>
}
