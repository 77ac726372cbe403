import PorticoCore

/// Request logs, kept in time partitions `width` milliseconds wide, and the
/// hourly request statistics written with them.
package protocol RequestLogStore: Sendable {
    /// The partitions that exist, oldest first.
    func requestLogPartitions(width: Int64) async throws -> [RequestLogPartitionInfo]
    /// Creates the partitions covering `[from, through]` ahead of time; returns those created.
    @discardableResult
    func createRequestLogPartitions(from: Int64, through: Int64, width: Int64) async throws -> [String]
    /// Drops partitions that end at or before `cutoff` (retention); returns those dropped.
    @discardableResult
    func dropRequestLogPartitions(endingAtOrBefore cutoff: Int64, width: Int64) async throws -> [String]
    /// One batch: the log rows, their usage and statistics (per tenant, which also feed
    /// `organization_month_stats`, and per route), and the audit rows of calls that are
    /// audited (a platform key's), in one transaction. Counters and audit rows of an
    /// organization deleted meanwhile are left out; its log rows are kept.
    func appendRequestLogs(
        _ entries: [RequestLogEntry],
        usage: [UsageIncrement: Int64],
        stats: [RequestStatIncrement: Int64],
        routeStats: [RouteStatIncrement: Int64],
        audit: [AuditEntryRecord],
        width: Int64
    ) async throws
    /// Counts by status class and latency bucket in `[from, until)`.
    func requestStats(scope: TenantScope, from: Int64, until: Int64) async throws -> [RequestStatCount]
    /// A filtered page that stops after examining `scanBudget` rows (nil: no budget);
    /// `StoreError.notFound` for a cursor that names no logged request.
    func searchRequestLogs(
        scope: TenantScope,
        filter: RequestLogFilter,
        page: PageRequest,
        width: Int64,
        scanBudget: Int?
    ) async throws -> RequestLogSearch
    func requestLog(requestId: String, scope: TenantScope, width: Int64) async throws -> RequestLogEntry?
    /// Which of these request ids are logged already (restoring a spill file).
    func loggedRequestIDs(_ requestIds: [String], width: Int64) async throws -> Set<String>
}

extension RequestLogStore {
    /// One page of a tenant's logs, newest first, with every row in range searched.
    package func requestLogs(scope: TenantScope, filter: RequestLogFilter, page: PageRequest, width: Int64) async throws -> Page<RequestLogEntry> {
        let search = try await searchRequestLogs(scope: scope, filter: filter, page: page, width: width, scanBudget: nil)
        return Page(items: search.items, hasMore: search.hasMore)
    }

    package func appendRequestLogs(_ entries: [RequestLogEntry], usage: [UsageIncrement: Int64], width: Int64) async throws {
        try await appendRequestLogs(entries, usage: usage, stats: [:], routeStats: [:], audit: [], width: width)
    }
}
