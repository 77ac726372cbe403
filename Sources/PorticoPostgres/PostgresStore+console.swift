import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Operator console: reads across organizations

extension PostgresStore {
    package func organizationSummaries(
        search: String?,
        order: OrganizationOrder,
        limit: Int,
        offset: Int,
        monthStart: Int64,
        dayAgo: Int64
    ) async throws -> (rows: [OrganizationSummary], total: Int) {
        let trimmed = search?.trimmingCharacters(in: .whitespaces)
        let needle = trimmed?.isEmpty == false ? trimmed : nil
        // ILIKE: SQLite's LIKE ignores ASCII case too.
        let pattern = needle.map {
            "%"
                + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
                    of: "_",
                    with: "\\_"
                ) + "%"
        }
        let requestsMonth =
            "coalesce((SELECT requests FROM organization_month_stats m WHERE m.organization_id = o.id AND m.month_start = \(monthStart)), 0)"
        let errorsDay =
            "(SELECT coalesce(sum(count), 0) FROM request_stats r WHERE r.organization_id = o.id AND r.hour_start >= \(dayAgo) AND r.status_class >= 5)"
        let ordering: String
        switch order {
        case .name: ordering = #"lower(o.name) COLLATE "C", o.id"#
        case .newest: ordering = "o.created_at DESC, o.id DESC"
        case .requests: ordering = "\(requestsMonth) DESC, o.id"
        case .errors: ordering = "\(errorsDay) DESC, o.id"
        }
        let matches: PostgresQuery = """
            (\(pattern)::text IS NULL OR o.name ILIKE \(pattern) OR o.id = \(needle) OR o.id IN (
                SELECT m.organization_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email ILIKE \(pattern)))
            """
        let found = try await readSnapshot { connection -> SummaryPage in
            var count = matches
            count.sql = "SELECT count(*) FROM organizations o WHERE \(matches.sql)"
            let total = try await connection.value(Int64.self, count, logger: logger) ?? 0
            var page = matches
            page.binds.append(Int64(limit))
            page.binds.append(Int64(offset))
            page.sql = """
                SELECT o.id, \(requestsMonth)::bigint,
                    (SELECT coalesce(sum(count), 0) FROM request_stats r WHERE r.organization_id = o.id AND r.hour_start >= \(dayAgo))::bigint,
                    \(errorsDay)::bigint,
                    (SELECT coalesce(sum(succeeded + failed), 0) FROM webhook_attempt_stats w WHERE w.organization_id = o.id AND w.hour_start >= \(dayAgo))::bigint,
                    (SELECT coalesce(sum(failed), 0) FROM webhook_attempt_stats w WHERE w.organization_id = o.id AND w.hour_start >= \(dayAgo))::bigint,
                    (SELECT max(hour_start) FROM request_stats r WHERE r.organization_id = o.id)
                FROM (SELECT o.* FROM organizations o WHERE \(matches.sql) ORDER BY \(ordering) LIMIT $\(page.binds.count - 1) OFFSET $\(page.binds.count)) AS o
                ORDER BY \(ordering)
                """
            var figures: [(String, Int64, Int64, Int64, Int64, Int64, Int64?)] = []
            for try await row in try await connection.rows(page, logger: logger).decode((String, Int64, Int64, Int64, Int64, Int64, Int64?).self) {
                figures.append(row)
            }
            let organizations = try await connection.all(
                OrganizationRecord.self,
                "SELECT * FROM organizations WHERE id = ANY(\(figures.map(\.0)))",
                logger: logger
            )
            let byId = Dictionary(organizations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let rows = figures.compactMap { figure in
                byId[figure.0].map {
                    OrganizationSummary(
                        organization: $0,
                        requestsThisMonth: figure.1,
                        requests24h: figure.2,
                        serverErrors24h: figure.3,
                        webhookAttempts24h: figure.4,
                        webhookFailures24h: figure.5,
                        lastActivityHour: figure.6
                    )
                }
            }
            return SummaryPage(rows: rows, total: Int(total))
        }
        return (found.rows, found.total)
    }

    private struct SummaryPage: Sendable {
        var rows: [OrganizationSummary]
        var total: Int
    }

    package func routeStats(from: Int64, until: Int64) async throws -> [RouteStatCount] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT route, status_class, latency_bucket, sum(count)::bigint FROM route_stats
                WHERE hour_start >= \(from) AND hour_start < \(until) GROUP BY 1, 2, 3
                """,
                logger: logger
            )
            var counts: [RouteStatCount] = []
            for try await (route, statusClass, bucket, count) in rows.decode((String, Int64, Int64, Int64).self) {
                counts.append(RouteStatCount(route: route, statusClass: Int(statusClass), latencyBucket: Int(bucket), count: count))
            }
            return counts
        }
    }

    package func busiestOrganizations(monthStart: Int64, limit: Int) async throws -> [OrganizationTraffic] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT m.organization_id, o.name, m.requests FROM organization_month_stats m JOIN organizations o ON o.id = m.organization_id
                WHERE m.month_start = \(monthStart) ORDER BY m.requests DESC, m.organization_id LIMIT \(Int64(limit))
                """,
                logger: logger
            )
            var traffic: [OrganizationTraffic] = []
            for try await (id, name, requests) in rows.decode((String, String, Int64).self) {
                traffic.append(OrganizationTraffic(organizationId: id, name: name, requests: requests, serverErrors: 0))
            }
            return traffic
        }
    }

    package func erroringOrganizations(from: Int64, until: Int64, limit: Int) async throws -> [OrganizationTraffic] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT t.organization_id, o.name, t.errors FROM (
                    SELECT r.organization_id, sum(r.count)::bigint AS errors FROM request_stats r
                    WHERE r.status_class >= 5 AND r.hour_start >= \(from) AND r.hour_start < \(until)
                    GROUP BY r.organization_id ORDER BY errors DESC, r.organization_id LIMIT \(Int64(limit))
                ) t JOIN organizations o ON o.id = t.organization_id
                ORDER BY t.errors DESC, t.organization_id
                """,
                logger: logger
            )
            var traffic: [OrganizationTraffic] = []
            for try await (id, name, errors) in rows.decode((String, String, Int64).self) {
                traffic.append(OrganizationTraffic(organizationId: id, name: name, requests: 0, serverErrors: errors))
            }
            return traffic
        }
    }

    package func failingEndpoints(limit: Int) async throws -> [WebhookEndpointRecord] {
        try await read { connection in
            try await connection.all(
                WebhookEndpointRecord.self,
                "SELECT * FROM webhook_endpoints WHERE failing_since IS NOT NULL ORDER BY failing_since, id LIMIT \(Int64(limit))",
                logger: logger
            )
        }
    }

    package func revenue(since: Int64) async throws -> [RevenueLine] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT period_start, plan, currency, invoices, base_amount, overage_amount, total FROM revenue_months
                WHERE period_start >= \(since) ORDER BY period_start DESC, total DESC, plan
                """,
                logger: logger
            )
            var lines: [RevenueLine] = []
            for try await (start, plan, currency, invoices, base, overage, total) in rows.decode(
                (Int64, String, String, Int64, Int64, Int64, Int64).self
            ) {
                lines.append(
                    RevenueLine(
                        periodStart: start,
                        plan: plan,
                        currency: currency,
                        invoices: Int(invoices),
                        base: base,
                        overage: overage,
                        total: total
                    )
                )
            }
            return lines
        }
    }

    package func requestTimeline(requestId: String, scope: TenantScope?, width: Int64) async throws -> RequestTimeline {
        try await readSnapshot { connection in
            let log = try await self.requestLogEntry(connection, requestId: requestId, scope: scope)
            var events = try await connection.all(
                EventRecord.self,
                "SELECT * FROM events WHERE request_id = \(requestId) ORDER BY id",
                logger: logger
            )
            var audit = try await connection.all(
                AuditEntryRecord.self,
                "SELECT * FROM audit_log WHERE request_id = \(requestId) ORDER BY id",
                logger: logger
            )
            if let scope {
                events = events.filter { $0.organizationId == scope.organizationId && $0.livemode == scope.livemode }
                audit = audit.filter { $0.organizationId == scope.organizationId && $0.actorType != "staff" }
                if log == nil, events.isEmpty { audit = [] }
            }
            var deliveries: [(delivery: DeliveryView, attempts: [WebhookAttemptRecord])] = []
            for event in events {
                let records = try await connection.all(
                    WebhookDeliveryRecord.self,
                    "SELECT * FROM webhook_deliveries WHERE event_id = \(event.id) ORDER BY id",
                    logger: logger
                )
                for view in try await Self.withEventTypes(records, connection, logger) {
                    let attempts = try await connection.all(
                        WebhookAttemptRecord.self,
                        "SELECT * FROM webhook_attempts WHERE delivery_id = \(view.delivery.id) ORDER BY id",
                        logger: logger
                    )
                    deliveries.append((view, attempts))
                }
            }
            return TimelineBox(timeline: RequestTimeline(log: log, events: events, deliveries: deliveries, audit: audit))
        }.timeline
    }

    /// `RequestTimeline` holds tuples, which Swift does not see as Sendable across the transaction.
    private struct TimelineBox: @unchecked Sendable {
        var timeline: RequestTimeline
    }

    package func locate(id: String) async throws -> LocatedID? {
        guard let prefix = id.split(separator: "_", maxSplits: 1).first.map(String.init), id.count > prefix.count + 1 else { return nil }
        let tables: [String: (table: String, request: String)] = [
            "cus": ("customers", "NULL::text"), "key": ("api_keys", "NULL::text"), "we": ("webhook_endpoints", "NULL::text"),
            "inv": ("invoices", "NULL::text"), "whr": ("webhook_replays", "NULL::text"), "aud": ("audit_log", "request_id"),
            "evt": ("events", "request_id"),
        ]
        return try await read { connection -> LocatedID? in
            let query: PostgresQuery
            switch prefix {
            case "org":
                let exists = try await connection.value(String.self, "SELECT id FROM organizations WHERE id = \(id)", logger: logger) != nil
                return exists ? LocatedID(organizationId: id) : nil
            case "whd":
                query = "SELECT d.organization_id, e.request_id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = \(id)"
            case "usr":
                query = "SELECT organization_id, NULL::text FROM memberships WHERE user_id = \(id) ORDER BY created_at LIMIT 1"
            default:
                guard let (table, request) = tables[prefix] else { return nil }
                var bindings = PostgresBindings()
                bindings.append(id)
                query = PostgresQuery(unsafeSQL: "SELECT organization_id, \(request) FROM \(table) WHERE id = $1", binds: bindings)
            }
            for try await (organizationId, requestId) in try await connection.rows(query, logger: logger).decode((String?, String?).self) {
                return LocatedID(organizationId: organizationId, requestId: requestId)
            }
            return nil
        }
    }

    package func insertAudit(_ entry: AuditEntryRecord) async throws {
        try await write { connection in try await connection.insert(entry, logger: logger) }
    }

    package func staffAuditEntries(staffId: String?, page: PageRequest) async throws -> Page<AuditEntryRecord> {
        try await read { connection in
            try await connection.page(
                AuditEntryRecord.self,
                from: "audit_log",
                where: "actor_type = 'staff' AND (\(staffId)::text IS NULL OR actor_id = \(staffId))",
                page: page,
                logger: logger
            )
        }
    }
}
