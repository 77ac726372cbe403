import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

/// The request log on PostgreSQL: one partitioned table, `request_logs`, with a
/// native partition per `request_logs.partition_hours` (a day by default),
/// named as SQLite's tables are (`request_logs_YYYYMMDDHH`). Queries go to the
/// parent with a `created_at` range, so PostgreSQL reads only the partitions
/// that overlap it; retention drops whole partitions.
extension PostgresStore {
    /// Advisory lock keys: partition DDL, and the id sequence of appended rows.
    private static let partitionLockKey: Int64 = 0x706f_7274_6963_6f01
    private static let appendLockKey: Int64 = 0x706f_7274_6963_6f02

    /// The columns every log read selects, in `logEntry(_:)`'s order.
    static let logColumns =
        "id, created_at, request_id, organization_id, livemode, key_id, method, path, route, status, duration_us, ip, user_agent, request_body, response_body"

    private static func logEntry(_ row: PostgresRow) throws -> RequestLogEntry {
        let cells = row.makeRandomAccess()
        return RequestLogEntry(
            id: try cells[0].decode(Int64.self),
            createdAt: try cells[1].decode(Int64.self),
            requestId: try cells[2].decode(String.self),
            organizationId: try cells[3].decode(String?.self),
            livemode: try cells[4].decode(Bool?.self),
            keyId: try cells[5].decode(String?.self),
            method: try cells[6].decode(String.self),
            path: try cells[7].decode(String.self),
            route: try cells[8].decode(String?.self),
            status: try cells[9].decode(Int.self),
            durationMicroseconds: try cells[10].decode(Int64.self),
            ip: try cells[11].decode(String?.self),
            userAgent: try cells[12].decode(String?.self),
            requestBody: try cells[13].decode(String?.self),
            responseBody: try cells[14].decode(String?.self)
        )
    }

    static func logEntries(_ query: PostgresQuery, _ connection: PostgresConnection, _ logger: Logger) async throws -> [RequestLogEntry] {
        var entries: [RequestLogEntry] = []
        for try await row in try await connection.rows(query, logger: logger) { entries.append(try logEntry(row)) }
        return entries
    }

    // MARK: Partitions

    package func requestLogPartitions(width: Int64) async throws -> [RequestLogPartitionInfo] {
        try await read { connection in try await Self.partitions(connection, width: width, logger) }
    }

    /// Every partition of `request_logs`, oldest first; each ends where the next begins (or `width` after its start).
    static func partitions(_ connection: PostgresConnection, width: Int64, _ logger: Logger) async throws -> [RequestLogPartitionInfo] {
        let names = try await connection.column(
            String.self,
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'request_logs'::regclass",
            logger: logger
        )
        let starts = names.compactMap { name in RequestLogPartition.start(name: name).map { (name, $0) } }.sorted { $0.1 < $1.1 }
        return starts.enumerated().map { index, item in
            RequestLogPartitionInfo(name: item.0, start: item.1, end: index + 1 < starts.count ? starts[index + 1].1 : item.1 + width)
        }
    }

    @discardableResult
    package func createRequestLogPartitions(from: Int64, through: Int64, width: Int64) async throws -> [String] {
        try await write { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.partitionLockKey))", logger: logger)
            let existing = try await Self.partitions(connection, width: width, logger)
            var created: [String] = []
            var start = RequestLogPartition.start(of: from, width: width)
            while start <= through {
                if try await Self.createPartition(containing: start, width: width, existing: existing, connection, logger) {
                    created.append(RequestLogPartition.name(start: start))
                }
                start += width
            }
            return created
        }
    }

    /// Creates the partition starting at `start` unless one exists; its range stops short
    /// of any later partition (a changed width never makes two ranges overlap). Call with
    /// the partition lock held.
    private static func createPartition(
        containing start: Int64,
        width: Int64,
        existing: [RequestLogPartitionInfo],
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> Bool {
        let name = RequestLogPartition.name(start: start)
        guard !existing.contains(where: { $0.name == name }) else { return false }
        // A partition already covering `start` (made with another width) takes its rows.
        if existing.contains(where: { $0.start <= start && start < $0.end }) { return false }
        let next = existing.map(\.start).filter { $0 > start }.min()
        let end = min(start + width, next ?? .max)
        try await connection.run(
            PostgresQuery(unsafeSQL: "CREATE TABLE \(name) PARTITION OF request_logs FOR VALUES FROM (\(start)) TO (\(end))"),
            logger: logger
        )
        return true
    }

    @discardableResult
    package func dropRequestLogPartitions(endingAtOrBefore cutoff: Int64, width: Int64) async throws -> [String] {
        try await write { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.partitionLockKey))", logger: logger)
            let doomed = try await Self.partitions(connection, width: width, logger).filter { $0.end <= cutoff }
            for partition in doomed { try await connection.run(PostgresQuery(unsafeSQL: "DROP TABLE \(partition.name)"), logger: logger) }
            try await connection.run("DELETE FROM route_stats WHERE hour_start < \(cutoff)", logger: logger)
            return doomed.map(\.name)
        }
    }

    // MARK: Writing

    package func appendRequestLogs(
        _ entries: [RequestLogEntry],
        usage: [UsageIncrement: Int64],
        stats: [RequestStatIncrement: Int64],
        routeStats: [RouteStatIncrement: Int64],
        audit: [AuditEntryRecord],
        width: Int64
    ) async throws {
        // Counters and audit rows of an organization deleted while its requests waited in the
        // batch have nothing to belong to; the log rows are kept (as on SQLite).
        let named = Array(Set(usage.keys.map(\.organizationId) + stats.keys.map(\.organizationId) + audit.compactMap(\.organizationId)))
        try await write { connection in
            let existing = Set(
                try await connection.column(String.self, "SELECT id FROM organizations WHERE id = ANY(\(named)) FOR SHARE", logger: logger)
            )
            try await self.insertLogRows(entries, width: width, connection)
            try await self.addUsage(usage.filter { existing.contains($0.key.organizationId) }, connection)
            for entry in audit where entry.organizationId.map(existing.contains) ?? true { try await connection.insert(entry, logger: logger) }
            try await Self.addStats(stats.filter { existing.contains($0.key.organizationId) }, routeStats: routeStats, connection, logger)
        }
    }

    /// Multi-row inserts, each row's id `(created_at << 12) | sequence` continuing its
    /// partition's largest, in commit order, as on SQLite (cursors are the same on both
    /// engines). The append lock makes instances take turns, so two batches never pick
    /// the same id; the primary key (id, created_at) finds a partition's largest id at once.
    private func insertLogRows(_ entries: [RequestLogEntry], width: Int64, _ connection: PostgresConnection) async throws {
        guard !entries.isEmpty else { return }
        try await connection.run("SELECT pg_advisory_xact_lock(\(Self.appendLockKey))", logger: logger)
        var known = try await Self.partitions(connection, width: width, logger)
        // Missing partitions (the clock ran past those created ahead) are made before the table is
        // touched: partition DDL locks the parent whole, and this transaction must not hold a lock
        // on it while it waits for the partition lock a creating or dropping transaction holds.
        let missing = Set(
            entries.map(\.createdAt).filter { time in !known.contains { $0.start <= time && time < $0.end } }
                .map { RequestLogPartition.start(of: $0, width: width) }
        )
        if !missing.isEmpty {
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.partitionLockKey))", logger: logger)
            for start in missing.sorted() {
                known = try await Self.partitions(connection, width: width, logger)
                _ = try await Self.createPartition(containing: start, width: width, existing: known, connection, logger)
            }
            known = try await Self.partitions(connection, width: width, logger)
        }
        var ids: [Int64] = []
        ids.reserveCapacity(entries.count)
        var last: [Int64: Int64] = [:]  // by partition start
        for entry in entries {
            guard let partition = known.first(where: { $0.start <= entry.createdAt && entry.createdAt < $0.end }) else {
                throw StoreError.integrity("no request-log partition holds \(entry.createdAt)")
            }
            let previous: Int64
            if let known = last[partition.start] {
                previous = known
            } else {
                let stored = try await connection.value(
                    Int64?.self,
                    "SELECT max(id) FROM request_logs WHERE created_at >= \(partition.start) AND created_at < \(partition.end)",
                    logger: logger
                )
                previous = (stored ?? nil) ?? 0
            }
            let id = max(RequestLogPartition.firstID(at: entry.createdAt), previous + 1)
            last[partition.start] = id
            ids.append(id)
        }
        // 15 values a row; PostgreSQL takes at most 65,535 bindings a statement.
        for chunk in stride(from: 0, to: entries.count, by: 2_000) {
            let rows = chunk..<min(chunk + 2_000, entries.count)
            var bindings = PostgresBindings(capacity: rows.count * 15)
            var values: [String] = []
            for index in rows {
                let entry = entries[index]
                let first = bindings.count + 1
                values.append("(" + (first..<first + 15).map { "$\($0)" }.joined(separator: ", ") + ")")
                bindings.append(ids[index])
                bindings.append(entry.createdAt)
                bindings.append(entry.requestId)
                bindings.append(entry.organizationId)
                bindings.append(entry.livemode)
                bindings.append(entry.keyId)
                bindings.append(entry.method)
                bindings.append(entry.path)
                bindings.append(entry.route)
                bindings.append(Int64(entry.status))
                bindings.append(entry.durationMicroseconds)
                bindings.append(entry.ip)
                bindings.append(entry.userAgent)
                bindings.append(entry.requestBody)
                bindings.append(entry.responseBody)
            }
            try await connection.run(
                PostgresQuery(unsafeSQL: "INSERT INTO request_logs (\(Self.logColumns)) VALUES \(values.joined(separator: ", "))", binds: bindings),
                logger: logger
            )
        }
    }

    /// Adds to the hourly request, monthly organization and route counters.
    private static func addStats(
        _ stats: [RequestStatIncrement: Int64],
        routeStats: [RouteStatIncrement: Int64],
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        var months: [String: [Int64: Int64]] = [:]
        for (stat, quantity) in stats.sorted(by: { ($0.key.organizationId, $0.key.hourStart) < ($1.key.organizationId, $1.key.hourStart) }) {
            try await connection.run(
                """
                INSERT INTO request_stats (organization_id, livemode, hour_start, status_class, latency_bucket, count)
                VALUES (\(stat.organizationId), \(stat.livemode), \(stat.hourStart), \(Int64(stat.statusClass)), \(Int64(stat.latencyBucket)), \(quantity))
                ON CONFLICT (organization_id, livemode, hour_start, status_class, latency_bucket)
                DO UPDATE SET count = request_stats.count + excluded.count
                """,
                logger: logger
            )
            if stat.livemode { months[stat.organizationId, default: [:]][CivilTime.month(containing: stat.hourStart).start, default: 0] += quantity }
        }
        for (organizationId, byMonth) in months.sorted(by: { $0.key < $1.key }) {
            for (monthStart, quantity) in byMonth.sorted(by: { $0.key < $1.key }) {
                try await connection.run(
                    """
                    INSERT INTO organization_month_stats (organization_id, month_start, requests) VALUES (\(organizationId), \(monthStart), \(quantity))
                    ON CONFLICT (organization_id, month_start) DO UPDATE SET requests = organization_month_stats.requests + excluded.requests
                    """,
                    logger: logger
                )
            }
        }
        for (stat, quantity) in routeStats.sorted(by: { ($0.key.hourStart, $0.key.route) < ($1.key.hourStart, $1.key.route) }) {
            try await connection.run(
                """
                INSERT INTO route_stats (hour_start, route, status_class, latency_bucket, count)
                VALUES (\(stat.hourStart), \(stat.route), \(Int64(stat.statusClass)), \(Int64(stat.latencyBucket)), \(quantity))
                ON CONFLICT (hour_start, route, status_class, latency_bucket) DO UPDATE SET count = route_stats.count + excluded.count
                """,
                logger: logger
            )
        }
    }

    package func requestStats(scope: TenantScope, from: Int64, until: Int64) async throws -> [RequestStatCount] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT status_class, latency_bucket, sum(count)::bigint FROM request_stats
                WHERE organization_id = \(scope.organizationId) AND livemode = \(scope.livemode) AND hour_start >= \(from) AND hour_start < \(until)
                GROUP BY status_class, latency_bucket
                """,
                logger: logger
            )
            var counts: [RequestStatCount] = []
            for try await (statusClass, bucket, count) in rows.decode((Int64, Int64, Int64).self) {
                counts.append(RequestStatCount(statusClass: Int(statusClass), latencyBucket: Int(bucket), count: count))
            }
            return counts
        }
    }

    // MARK: Reading

    /// As on SQLite: a page of the tenant's rows in the id range the filter's times and the
    /// cursor give, and with a filter beyond tenant and time, at most `scanBudget` of the
    /// tenant's newest rows examined (the search says where it stopped).
    package func searchRequestLogs(
        scope: TenantScope,
        filter: RequestLogFilter,
        page: PageRequest,
        width: Int64,
        scanBudget: Int?
    ) async throws -> RequestLogSearch {
        try await readSnapshot { connection in
            var lower = filter.since.map(RequestLogPartition.firstID(at:)) ?? 0
            var upper = filter.until.map(RequestLogPartition.firstID(at:)) ?? Int64.max
            let ascending = page.endingBefore != nil
            if let cursor = page.startingAfter ?? page.endingBefore {
                guard let anchor = try await Self.requestLog(connection, requestId: cursor, scope: scope, logger) else {
                    throw StoreError.notFound("starting_after/ending_before")
                }
                if ascending { lower = max(lower, anchor.id + 1) } else { upper = min(upper, anchor.id) }
            }
            let filtered =
                filter.status != nil || filter.statusClass != nil || filter.method != nil || filter.pathPrefix != nil || filter.keyId != nil
            var stoppedAt: String?
            if let budget = scanBudget, filtered, !ascending, budget > 0 {
                // The oldest of the tenant's `budget` newest rows in range: the search goes no further.
                let rows = try await connection.rows(
                    """
                    SELECT id, request_id FROM request_logs
                    WHERE organization_id = \(scope.organizationId) AND livemode = \(scope.livemode) AND id >= \(lower) AND id < \(upper)
                    AND created_at >= \(lower >> 12) AND created_at <= \(upper >> 12)
                    ORDER BY id DESC OFFSET \(Int64(budget - 1)) LIMIT 1
                    """,
                    logger: logger
                )
                for try await (id, requestId) in rows.decode((Int64, String).self) {
                    lower = max(lower, id)
                    stoppedAt = requestId
                }
            }
            let statusFrom = filter.statusClass.map { Int64($0 * 100) }
            let statusUntil = filter.statusClass.map { Int64($0 * 100 + 100) }
            let wanted = Int64(page.limit + 1)
            let rows = try await Self.logEntries(
                """
                SELECT \(unescaped: Self.logColumns) FROM request_logs
                WHERE organization_id = \(scope.organizationId) AND livemode = \(scope.livemode) AND id >= \(lower) AND id < \(upper)
                AND created_at >= \(lower >> 12) AND created_at <= \(upper >> 12)
                AND (\(filter.status.map(Int64.init))::bigint IS NULL OR status = \(filter.status.map(Int64.init)))
                AND (\(statusFrom)::bigint IS NULL OR (status >= \(statusFrom) AND status < \(statusUntil)))
                AND (\(filter.method)::text IS NULL OR method = \(filter.method))
                AND (\(filter.pathPrefix)::text IS NULL OR starts_with(path, \(filter.pathPrefix)))
                AND (\(filter.keyId)::text IS NULL OR key_id = \(filter.keyId))
                ORDER BY id \(unescaped: ascending ? "ASC" : "DESC") LIMIT \(wanted)
                """,
                connection,
                logger
            )
            let items = Array(rows.prefix(page.limit))
            if rows.count > page.limit { stoppedAt = nil }
            return RequestLogSearch(
                items: ascending ? items.reversed() : items,
                hasMore: rows.count > page.limit || stoppedAt != nil,
                stoppedAt: stoppedAt
            )
        }
    }

    package func requestLog(requestId: String, scope: TenantScope, width: Int64) async throws -> RequestLogEntry? {
        try await read { connection in try await Self.requestLog(connection, requestId: requestId, scope: scope, logger) }
    }

    private static func requestLog(
        _ connection: PostgresConnection,
        requestId: String,
        scope: TenantScope,
        _ logger: Logger
    ) async throws
        -> RequestLogEntry?
    {
        try await logEntries(
            """
            SELECT \(unescaped: logColumns) FROM request_logs
            WHERE request_id = \(requestId) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)
            ORDER BY id DESC LIMIT 1
            """,
            connection,
            logger
        ).first
    }

    package func loggedRequestIDs(_ requestIds: [String], width: Int64) async throws -> Set<String> {
        try await read { connection in
            Set(
                try await connection.column(
                    String.self,
                    "SELECT DISTINCT request_id FROM request_logs WHERE request_id = ANY(\(requestIds))",
                    logger: logger
                )
            )
        }
    }

    package func meteredRequestCounts(from: Int64, until: Int64, width: Int64) async throws -> [TenantScope: Int64] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT organization_id, livemode, count(*) FROM request_logs
                WHERE organization_id IS NOT NULL AND status <> 429 AND created_at >= \(from) AND created_at < \(until)
                GROUP BY organization_id, livemode
                """,
                logger: logger
            )
            var counts: [TenantScope: Int64] = [:]
            for try await (organizationId, livemode, count) in rows.decode((String, Bool, Int64).self) {
                counts[TenantScope(organizationId: organizationId, livemode: livemode), default: 0] += count
            }
            return counts
        }
    }
}

extension PostgresStore {
    /// A request's log row in the tenant's log, or (scope nil) whatever its tenant: the newest wins.
    func requestLogEntry(_ connection: PostgresConnection, requestId: String, scope: TenantScope?) async throws -> RequestLogEntry? {
        if let scope { return try await Self.requestLog(connection, requestId: requestId, scope: scope, logger) }
        return try await Self.logEntries(
            "SELECT \(unescaped: Self.logColumns) FROM request_logs WHERE request_id = \(requestId) ORDER BY id DESC LIMIT 1",
            connection,
            logger
        ).first
    }
}
