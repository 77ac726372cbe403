import Foundation
import PorticoCore
import PorticoStore

/// The contracts not yet written for PostgreSQL (issue 22 is under way): each
/// throws, and `database.url = postgres://…` refuses to start while any is
/// left. The contract suite runs the finished aggregates on both engines.
struct PostgresPending: Error, CustomStringConvertible {
    let function: String
    var description: String { "\(function) is not yet implemented on PostgreSQL" }
}

// MARK: BillingStore (not yet on PostgreSQL)

extension PostgresStore {
    package func usage(scope: TenantScope, from: Int64, until: Int64, metric: String?, keyId: String?) async throws -> [UsageRow] {
        throw PostgresPending(function: #function)
    }

    package func usageTotal(scope: TenantScope, metric: String, from: Int64, until: Int64) async throws -> Int64 {
        throw PostgresPending(function: #function)
    }

    package func usageTotals(metric: String, from: Int64, until: Int64) async throws -> [TenantScope: Int64] {
        throw PostgresPending(function: #function)
    }

    package func meteredRequestCounts(from: Int64, until: Int64, width: Int64) async throws -> [TenantScope: Int64] {
        throw PostgresPending(function: #function)
    }

    package func insertInvoicesIfAbsent(_ invoices: [InvoiceRecord]) async throws -> [InvoiceRecord] {
        throw PostgresPending(function: #function)
    }

    package func invoice(id: String, scope: TenantScope) async throws -> InvoiceRecord? {
        throw PostgresPending(function: #function)
    }

    package func invoices(scope: TenantScope, page: PageRequest) async throws -> Page<InvoiceRecord> {
        throw PostgresPending(function: #function)
    }

}

// MARK: ConsoleStore (not yet on PostgreSQL)

extension PostgresStore {
    package func organizationSummaries(
        search: String?,
        order: OrganizationOrder,
        limit: Int,
        offset: Int,
        monthStart: Int64,
        dayAgo: Int64
    ) async throws -> (rows: [OrganizationSummary], total: Int) {
        throw PostgresPending(function: #function)
    }

    package func routeStats(from: Int64, until: Int64) async throws -> [RouteStatCount] {
        throw PostgresPending(function: #function)
    }

    package func busiestOrganizations(monthStart: Int64, limit: Int) async throws -> [OrganizationTraffic] {
        throw PostgresPending(function: #function)
    }

    package func erroringOrganizations(from: Int64, until: Int64, limit: Int) async throws -> [OrganizationTraffic] {
        throw PostgresPending(function: #function)
    }

    package func failingEndpoints(limit: Int) async throws -> [WebhookEndpointRecord] {
        throw PostgresPending(function: #function)
    }

    package func revenue(since: Int64) async throws -> [RevenueLine] {
        throw PostgresPending(function: #function)
    }

    package func requestTimeline(requestId: String, scope: TenantScope?, width: Int64) async throws -> RequestTimeline {
        throw PostgresPending(function: #function)
    }

    package func locate(id: String) async throws -> LocatedID? {
        throw PostgresPending(function: #function)
    }

    package func insertAudit(_ entry: AuditEntryRecord) async throws {
        throw PostgresPending(function: #function)
    }

    package func staffAuditEntries(staffId: String?, page: PageRequest) async throws -> Page<AuditEntryRecord> {
        throw PostgresPending(function: #function)
    }

}

// MARK: ErasureStore (not yet on PostgreSQL)

extension PostgresStore {
    package func erase(_ subject: ErasureSubject, audit: AuditEntryRecord) async throws -> ErasureReport {
        throw PostgresPending(function: #function)
    }

}

// MARK: GatewayKeyStore (not yet on PostgreSQL)

extension PostgresStore {
    package func signingKeys(now: Int64) async throws -> [SigningKeyRecord] {
        throw PostgresPending(function: #function)
    }

    @discardableResult
    package func addSigningKey(_ key: SigningKeyRecord, retireOthersAt: Int64, onlyIfNone: Bool) async throws -> Bool {
        throw PostgresPending(function: #function)
    }

}

// MARK: PlatformStore (not yet on PostgreSQL)

extension PostgresStore {
    package func insertPlatformKey(_ key: PlatformKeyRecord, audit: AuditEntryRecord) async throws {
        throw PostgresPending(function: #function)
    }

    package func platformKey(secretHash hash: Data) async throws -> PlatformKeyRecord? {
        throw PostgresPending(function: #function)
    }

    package func platformKeys() async throws -> [PlatformKeyRecord] {
        throw PostgresPending(function: #function)
    }

    package func revokePlatformKey(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> PlatformKeyRecord? {
        throw PostgresPending(function: #function)
    }

    package func recordUsage(
        _ record: UsageRecord,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<UsageRecord>?
    ) async throws -> (record: UsageRecord, created: Bool) {
        throw PostgresPending(function: #function)
    }

}

// MARK: RequestLogStore (not yet on PostgreSQL)

extension PostgresStore {
    package func requestLogPartitions(width: Int64) async throws -> [RequestLogPartitionInfo] {
        throw PostgresPending(function: #function)
    }

    @discardableResult
    package func createRequestLogPartitions(from: Int64, through: Int64, width: Int64) async throws -> [String] {
        throw PostgresPending(function: #function)
    }

    @discardableResult
    package func dropRequestLogPartitions(endingAtOrBefore cutoff: Int64, width: Int64) async throws -> [String] {
        throw PostgresPending(function: #function)
    }

    package func appendRequestLogs(
        _ entries: [RequestLogEntry],
        usage: [UsageIncrement: Int64],
        stats: [RequestStatIncrement: Int64],
        routeStats: [RouteStatIncrement: Int64],
        audit: [AuditEntryRecord],
        width: Int64
    ) async throws {
        throw PostgresPending(function: #function)
    }

    package func requestStats(scope: TenantScope, from: Int64, until: Int64) async throws -> [RequestStatCount] {
        throw PostgresPending(function: #function)
    }

    package func requestLogs(scope: TenantScope, filter: RequestLogFilter, page: PageRequest, width: Int64) async throws -> Page<RequestLogEntry> {
        throw PostgresPending(function: #function)
    }

    package func searchRequestLogs(
        scope: TenantScope,
        filter: RequestLogFilter,
        page: PageRequest,
        width: Int64,
        scanBudget: Int?
    ) async throws -> RequestLogSearch {
        throw PostgresPending(function: #function)
    }

    package func requestLog(requestId: String, scope: TenantScope, width: Int64) async throws -> RequestLogEntry? {
        throw PostgresPending(function: #function)
    }

    package func loggedRequestIDs(_ requestIds: [String], width: Int64) async throws -> Set<String> {
        throw PostgresPending(function: #function)
    }

}

// MARK: RetentionStore (not yet on PostgreSQL)

extension PostgresStore {
    package func pruneDeliveries(finishedBefore cutoff: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneAuditEntries(before cutoff: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneMail(before cutoff: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneStaffSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneExpiredLinks(now: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

}

// MARK: SampleDataStore (not yet on PostgreSQL)

extension PostgresStore {
    package func insertSampleHistory(_ history: SampleHistory) async throws {
        throw PostgresPending(function: #function)
    }

}
