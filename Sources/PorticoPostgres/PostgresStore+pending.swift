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
