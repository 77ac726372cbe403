import Foundation
import GRDB
import PorticoCore

// MARK: - Operator console: reads across organizations

extension SQLiteStore {
    package func organizationSummaries(
        search: String?,
        order: OrganizationOrder,
        limit: Int,
        offset: Int,
        monthStart: Int64,
        dayAgo: Int64
    ) async throws -> (rows: [OrganizationSummary], total: Int) {
        try await read { db in
            var filter = "1"
            var arguments: StatementArguments = []
            if let search = search?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
                let pattern =
                    "%"
                    + search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                filter = """
                    (o.name LIKE ? ESCAPE '\\' OR o.id = ? OR o.id IN (
                        SELECT m.organization_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email LIKE ? ESCAPE '\\'))
                    """
                arguments += [pattern, search, pattern]
            }
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM organizations o WHERE \(filter)", arguments: arguments) ?? 0
            // Figures only for the page's rows, except the one a sort needs for every row.
            // One row per organization and month, and the error rows alone (a partial index):
            // sorting 10,000 organizations by either reads no more than that.
            let requestsMonth =
                "coalesce((SELECT requests FROM organization_month_stats m WHERE m.organization_id = o.id AND m.month_start = \(monthStart)), 0)"
            let errorsDay =
                "(SELECT coalesce(sum(count), 0) FROM request_stats r INDEXED BY request_stats_errors WHERE r.organization_id = o.id AND r.hour_start >= \(dayAgo) AND r.status_class >= 5)"
            let ordering: String
            switch order {
            case .name: ordering = "o.name COLLATE NOCASE, o.id"
            case .newest: ordering = "o.created_at DESC, o.id DESC"
            case .requests: ordering = "\(requestsMonth) DESC, o.id"
            case .errors: ordering = "\(errorsDay) DESC, o.id"
            }
            let sql = """
                SELECT o.*,
                    \(requestsMonth) AS requests_month,
                    (SELECT coalesce(sum(count), 0) FROM request_stats r WHERE r.organization_id = o.id AND r.livemode IN (0, 1) AND r.hour_start >= \(dayAgo)) AS requests_day,
                    \(errorsDay) AS errors_day,
                    (SELECT coalesce(sum(succeeded + failed), 0) FROM webhook_attempt_stats w WHERE w.organization_id = o.id AND w.livemode IN (0, 1) AND w.hour_start >= \(dayAgo)) AS attempts_day,
                    (SELECT coalesce(sum(failed), 0) FROM webhook_attempt_stats w WHERE w.organization_id = o.id AND w.livemode IN (0, 1) AND w.hour_start >= \(dayAgo)) AS failures_day,
                    max(coalesce((SELECT max(hour_start) FROM request_stats r WHERE r.organization_id = o.id AND r.livemode = 0), -1),
                        coalesce((SELECT max(hour_start) FROM request_stats r WHERE r.organization_id = o.id AND r.livemode = 1), -1)) AS last_hour
                FROM (SELECT o.* FROM organizations o WHERE \(filter) ORDER BY \(ordering) LIMIT ? OFFSET ?) AS o
                ORDER BY \(ordering)
                """
            arguments += [limit, offset]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let lastHour: Int64 = row["last_hour"]
                return OrganizationSummary(
                    organization: try OrganizationRecord(row: row),
                    requestsThisMonth: row["requests_month"],
                    requests24h: row["requests_day"],
                    serverErrors24h: row["errors_day"],
                    webhookAttempts24h: row["attempts_day"],
                    webhookFailures24h: row["failures_day"],
                    lastActivityHour: lastHour < 0 ? nil : lastHour
                )
            }
            return (rows, total)
        }
    }

    package func routeStats(from: Int64, until: Int64) async throws -> [RouteStatCount] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT route, status_class, latency_bucket, sum(count) FROM route_stats
                    WHERE hour_start >= ? AND hour_start < ? GROUP BY 1, 2, 3
                    """,
                arguments: [from, until]
            ).map { RouteStatCount(route: $0[0], statusClass: $0[1], latencyBucket: $0[2], count: $0[3]) }
        }
    }

    package func busiestOrganizations(monthStart: Int64, limit: Int) async throws -> [OrganizationTraffic] {
        try await read { db in
            // One row per organization and month: summing hours across 10,000 organizations took
            // 150 ms a page (Benchmarks/RESULTS.md); this reads the month's rows alone.
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.organization_id, o.name, m.requests FROM organization_month_stats m JOIN organizations o ON o.id = m.organization_id
                    WHERE m.month_start = ? ORDER BY m.requests DESC, m.organization_id LIMIT ?
                    """,
                arguments: [monthStart, limit]
            ).map { OrganizationTraffic(organizationId: $0[0], name: $0[1], requests: $0[2], serverErrors: 0) }
        }
    }

    package func erroringOrganizations(from: Int64, until: Int64, limit: Int) async throws -> [OrganizationTraffic] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.organization_id, o.name, t.errors FROM (
                        SELECT r.organization_id, sum(r.count) AS errors FROM request_stats r INDEXED BY request_stats_errors
                        WHERE r.status_class >= 5 AND r.hour_start >= ? AND r.hour_start < ?
                        GROUP BY r.organization_id ORDER BY errors DESC, r.organization_id LIMIT ?
                    ) t JOIN organizations o ON o.id = t.organization_id
                    ORDER BY t.errors DESC, t.organization_id
                    """,
                arguments: [from, until, limit]
            ).map { OrganizationTraffic(organizationId: $0[0], name: $0[1], requests: 0, serverErrors: $0[2]) }
        }
    }

    package func failingEndpoints(limit: Int) async throws -> [WebhookEndpointRecord] {
        try await read { db in
            try WebhookEndpointRecord.fetchAll(
                db,
                sql:
                    "SELECT * FROM webhook_endpoints INDEXED BY webhook_endpoints_failing WHERE failing_since IS NOT NULL ORDER BY failing_since, id LIMIT ?",
                arguments: [limit]
            )
        }
    }

    package func revenue(since: Int64) async throws -> [RevenueLine] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT period_start, plan, currency, invoices, base_amount, overage_amount, total FROM revenue_months
                    WHERE period_start >= ? ORDER BY period_start DESC, total DESC, plan
                    """,
                arguments: [since]
            ).map {
                RevenueLine(periodStart: $0[0], plan: $0[1], currency: $0[2], invoices: $0[3], base: $0[4], overage: $0[5], total: $0[6])
            }
        }
    }

    package func requestTimeline(requestId: String, scope: TenantScope?, width: Int64) async throws -> RequestTimeline {
        try await read { db in
            let partitions = try self.partitions(db, width: width)
            let log: RequestLogEntry?
            if let scope {
                log = try Self.requestLog(db, requestId: requestId, scope: scope, partitions: partitions)
            } else {
                log = try Self.anyRequestLog(db, requestId: requestId, partitions: partitions)
            }
            var events = try EventRecord.fetchAll(
                db,
                sql: "SELECT \(EventRecord.columns) FROM events INDEXED BY events_by_request WHERE request_id = ? ORDER BY id",
                arguments: [requestId]
            )
            var audit = try AuditEntryRecord.fetchAll(
                db,
                sql: "SELECT * FROM audit_log INDEXED BY audit_log_by_request WHERE request_id = ? ORDER BY id",
                arguments: [requestId]
            )
            if let scope {
                events = events.filter { $0.organizationId == scope.organizationId && $0.livemode == scope.livemode }
                // A tenant's audit rows carry no mode; the request's own mode decided its rows.
                audit = audit.filter { $0.organizationId == scope.organizationId && $0.actorType != "staff" }
                if log == nil, events.isEmpty { audit = [] }
            }
            var deliveries: [(delivery: DeliveryView, attempts: [WebhookAttemptRecord])] = []
            for event in events {
                let records = try WebhookDeliveryRecord.filter(Column("event_id") == event.id).order(Column("id")).fetchAll(db)
                for view in try Self.withEventTypes(records, db) {
                    let attempts = try WebhookAttemptRecord.filter(Column("delivery_id") == view.delivery.id).order(Column("id")).fetchAll(db)
                    deliveries.append((view, attempts))
                }
            }
            return RequestTimeline(log: log, events: events, deliveries: deliveries, audit: audit)
        }
    }

    /// A request's log row whatever its tenant: the newest partition holding it wins.
    static func anyRequestLog(_ db: Database, requestId: String, partitions: [RequestLogPartitionInfo]) throws -> RequestLogEntry? {
        for partition in partitions.reversed() {
            let sql = "SELECT \(RequestLogEntry.columns) FROM \(partition.name) INDEXED BY \(partition.name)_by_request WHERE request_id = ? LIMIT 1"
            if let row = try db.cachedStatement(sql: sql).rows(arguments: [requestId], RequestLogEntry.init(columns:)).first { return row }
        }
        return nil
    }

    package func locate(id: String) async throws -> LocatedID? {
        guard let prefix = id.split(separator: "_", maxSplits: 1).first.map(String.init), id.count > prefix.count + 1 else { return nil }
        return try await read { db in
            func owner(_ table: String, requestColumn: String? = nil) throws -> LocatedID? {
                let request = requestColumn ?? "NULL"
                return try Row.fetchOne(db, sql: "SELECT organization_id, \(request) FROM \(table) WHERE id = ?", arguments: [id]).map {
                    LocatedID(organizationId: $0[0], requestId: $0[1])
                }
            }
            switch prefix {
            case "org": return try OrganizationRecord.exists(db, key: id) ? LocatedID(organizationId: id) : nil
            case "cus": return try owner("customers")
            case "key": return try owner("api_keys")
            case "we": return try owner("webhook_endpoints")
            case "inv": return try owner("invoices")
            case "whr": return try owner("webhook_replays")
            case "aud": return try owner("audit_log", requestColumn: "request_id")
            case "evt": return try owner("events", requestColumn: "request_id")
            case "whd":
                return try Row.fetchOne(
                    db,
                    sql: "SELECT d.organization_id, e.request_id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?",
                    arguments: [id]
                ).map { LocatedID(organizationId: $0[0], requestId: $0[1]) }
            case "usr":
                return try String.fetchOne(
                    db,
                    sql: "SELECT organization_id FROM memberships WHERE user_id = ? ORDER BY created_at LIMIT 1",
                    arguments: [id]
                )
                .map { LocatedID(organizationId: $0) }
            default: return nil
            }
        }
    }

    package func insertAudit(_ entry: AuditEntryRecord) async throws {
        try await writeTransaction { db in try entry.insert(db) }
    }

    package func staffAuditEntries(staffId: String?, page: PageRequest) async throws -> Page<AuditEntryRecord> {
        try await read { db in
            var request = AuditEntryRecord.filter(Column("actor_type") == "staff")
            if let staffId { request = request.filter(Column("actor_id") == staffId) }
            return try request.page(page, id: AuditEntryRecord.Columns.id, db: db)
        }
    }
}
