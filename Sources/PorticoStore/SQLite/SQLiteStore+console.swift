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
            let requestsMonth =
                "(SELECT coalesce(sum(count), 0) FROM request_stats r WHERE r.organization_id = o.id AND r.livemode = 1 AND r.hour_start >= \(monthStart))"
            let errorsDay =
                "(SELECT coalesce(sum(count), 0) FROM request_stats r WHERE r.organization_id = o.id AND r.livemode IN (0, 1) AND r.hour_start >= \(dayAgo) AND r.status_class = 5)"
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
}
