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

// MARK: AlertStore (not yet on PostgreSQL)

extension PostgresStore {
    package func sendDueAlertDigests(now: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func nextAlertDigestDue() async throws -> Int64? {
        throw PostgresPending(function: #function)
    }

    package func recordStaffDigest(dayStart: Int64, problems: Int, mails: [MailRecord], at now: Int64) async throws -> Bool {
        throw PostgresPending(function: #function)
    }

    package func staffDigestRecorded(dayStart: Int64) async throws -> Bool {
        throw PostgresPending(function: #function)
    }

    package func announceExpiringKeys(now: Int64, event: @escaping @Sendable (APIKeyRecord) -> EventRecord?) async throws -> Int {
        throw PostgresPending(function: #function)
    }

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

// MARK: WebhookStore (not yet on PostgreSQL)

extension PostgresStore {
    package func pruneEvents(before cutoff: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func insertEndpoint(
        _ endpoint: WebhookEndpointRecord,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<Void>?
    ) async throws {
        throw PostgresPending(function: #function)
    }

    package func endpoint(id: String, scope: TenantScope) async throws -> WebhookEndpointRecord? {
        throw PostgresPending(function: #function)
    }

    package func endpoints(scope: TenantScope, page: PageRequest) async throws -> Page<WebhookEndpointRecord> {
        throw PostgresPending(function: #function)
    }

    package func endpointCount(scope: TenantScope) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func endpoints(urlPrefix prefix: String) async throws -> [WebhookEndpointRecord] {
        throw PostgresPending(function: #function)
    }

    package func updateEndpoint(
        id: String,
        scope: TenantScope,
        audit: AuditEntryRecord?,
        completing completion: IdempotentCompletion<WebhookEndpointRecord?>?,
        _ change: @escaping @Sendable (inout WebhookEndpointRecord) throws -> Void
    ) async throws -> WebhookEndpointRecord? {
        throw PostgresPending(function: #function)
    }

    package func sealEndpointSecrets(
        isSealed: @escaping @Sendable (String) -> Bool,
        seal: @escaping @Sendable (_ secret: String, _ endpointID: String) -> String
    ) async throws -> (sealed: Int, foundSealed: Bool) {
        throw PostgresPending(function: #function)
    }

    package func deleteEndpoint(id: String, scope: TenantScope, audit: AuditEntryRecord) async throws -> Bool {
        throw PostgresPending(function: #function)
    }

    package func deliveries(scope: TenantScope, filter: DeliveryFilter, page: PageRequest) async throws -> Page<DeliveryView> {
        throw PostgresPending(function: #function)
    }

    package func delivery(id: String, scope: TenantScope) async throws -> (DeliveryView, [WebhookAttemptRecord])? {
        throw PostgresPending(function: #function)
    }

    package func retryDelivery(
        id: String,
        scope: TenantScope,
        now: Int64,
        completing completion: IdempotentCompletion<Result<DeliveryView, RetryRefusal>?>?
    ) async throws -> Result<DeliveryView, RetryRefusal>? {
        throw PostgresPending(function: #function)
    }

    package func insertReplay(_ replay: WebhookReplayRecord, completing completion: IdempotentCompletion<Void>?) async throws {
        throw PostgresPending(function: #function)
    }

    package func replay(id: String, scope: TenantScope) async throws -> WebhookReplayRecord? {
        throw PostgresPending(function: #function)
    }

    package func runningReplays() async throws -> [WebhookReplayRecord] {
        throw PostgresPending(function: #function)
    }

    package func continueReplay(id: String, after cursor: String?, chunk: Int, now: Int64) async throws -> String? {
        throw PostgresPending(function: #function)
    }

    package func claimDueWork(
        now: Int64,
        excludingEndpoints: Set<String>,
        perEndpoint: Int,
        claim: @escaping @Sendable ([(id: String, endpointId: String)]) -> [String]
    ) async throws -> DueWork {
        throw PostgresPending(function: #function)
    }

    package func recordAttempts(_ outcomes: [AttemptOutcome]) async throws {
        throw PostgresPending(function: #function)
    }

    package func webhookAttemptStats(scope: TenantScope, from: Int64, until: Int64) async throws -> (succeeded: Int64, failed: Int64) {
        throw PostgresPending(function: #function)
    }

    package func deliveryBacklog() async throws -> (owed: Int, oldestDueAt: Int64?) {
        throw PostgresPending(function: #function)
    }

}
