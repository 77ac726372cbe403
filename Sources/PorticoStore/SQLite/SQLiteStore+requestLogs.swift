import Foundation
import GRDB
import PorticoCore

extension RequestLogPartition {
    /// Two indexes only, both appended in insertion order (see schema.sql).
    static func createSQL(_ name: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(name) (
            id INTEGER PRIMARY KEY,
            created_at INTEGER NOT NULL,
            request_id TEXT NOT NULL,
            organization_id TEXT,
            livemode INTEGER,
            key_id TEXT,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            route TEXT,
            status INTEGER NOT NULL,
            duration_us INTEGER NOT NULL,
            ip TEXT,
            user_agent TEXT,
            request_body TEXT,
            response_body TEXT
        );
        CREATE INDEX IF NOT EXISTS \(name)_by_tenant ON \(name)(organization_id, livemode);
        CREATE INDEX IF NOT EXISTS \(name)_by_request ON \(name)(request_id);
        """
    }
}

extension SQLiteStore {
    // MARK: Partitions

    /// Every existing partition, oldest first.
    package func requestLogPartitions(width: Int64) async throws -> [RequestLogPartitionInfo] {
        try await read { db in try self.partitions(db, width: width) }
    }

    /// Every existing partition, oldest first, as `readPartitions` last found them while
    /// the schema has not changed since: `PRAGMA schema_version` (read from the file's
    /// header, so any process's CREATE or DROP changes it) replaces a scan of
    /// `sqlite_master` and the sorting of its names on every request-log read. Callers read
    /// the list before any DDL of their own transaction: a rolled-back CREATE or DROP would
    /// leave the version number it had already used for the cached list.
    func partitions(_ db: Database, width: Int64) throws -> [RequestLogPartitionInfo] {
        let version = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA schema_version")) ?? 0
        if let known = partitionCache.withLock({ $0 }), known.version == version, known.width == width { return known.partitions }
        let partitions = try Self.readPartitions(db, width: width)
        partitionCache.withLock { $0 = PartitionList(version: version, width: width, partitions: partitions) }
        return partitions
    }

    static func readPartitions(_ db: Database, width: Int64) throws -> [RequestLogPartitionInfo] {
        let names = try String.fetchAll(
            db.cachedStatement(sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'request_logs_[0-9]*'")
        )
        let starts = names.compactMap { name in RequestLogPartition.start(name: name).map { (name, $0) } }.sorted { $0.1 < $1.1 }
        return starts.enumerated().map { index, item in
            let end = index + 1 < starts.count ? starts[index + 1].1 : item.1 + width
            return RequestLogPartitionInfo(name: item.0, start: item.1, end: end)
        }
    }

    /// Creates every partition from the one holding `from` through the one holding `through`; returns the names created.
    @discardableResult
    package func createRequestLogPartitions(from: Int64, through: Int64, width: Int64) async throws -> [String] {
        try await writeTransaction { db in
            let existing = Set(try self.partitions(db, width: width).map(\.name))
            var created: [String] = []
            var start = RequestLogPartition.start(of: from, width: width)
            while start <= through {
                let name = RequestLogPartition.name(start: start)
                if !existing.contains(name) {
                    try db.execute(sql: RequestLogPartition.createSQL(name))
                    created.append(name)
                }
                start += width
            }
            return created
        }
    }

    /// Drops every partition that ends at or before `cutoff` (retention); returns the names dropped.
    @discardableResult
    package func dropRequestLogPartitions(endingAtOrBefore cutoff: Int64, width: Int64) async throws -> [String] {
        try await writeTransaction { db in
            let doomed = try self.partitions(db, width: width).filter { $0.end <= cutoff }
            for partition in doomed { try db.execute(sql: "DROP TABLE \(partition.name)") }
            // Route statistics are kept as long as the rows they summarise.
            try db.execute(sql: "DELETE FROM route_stats WHERE hour_start < ?", arguments: [cutoff])
            return doomed.map(\.name)
        }
    }

    // MARK: Writing

    /// Appends a batch of log rows and adds its usage and request statistics, in
    /// one transaction: usage can never count a request whose log row was not
    /// written, or the reverse. A partition that is missing (the clock ran past
    /// those created ahead) is created here.
    /// Adds to the hourly usage buckets and the period counters, and announces the quota
    /// thresholds this reaches (inside the caller's transaction).
    func addUsage(_ usage: [UsageIncrement: Int64], in db: Database) throws {
        try Self.addToBuckets(usage, in: db)
        try addToPeriods(usage, in: db)
    }

    /// Adds to the hourly usage buckets.
    static func addToBuckets(_ usage: [UsageIncrement: Int64], in db: Database) throws {
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO usage_buckets (organization_id, livemode, hour_start, metric, key_id, quantity)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (organization_id, livemode, hour_start, metric, key_id)
                DO UPDATE SET quantity = quantity + excluded.quantity
                """
        )
        for (bucket, quantity) in usage {
            try upsert.execute(arguments: [bucket.organizationId, bucket.livemode, bucket.hourStart, bucket.metric, bucket.keyId, quantity])
        }
    }

    package func appendRequestLogs(
        _ entries: [RequestLogEntry],
        usage: [UsageIncrement: Int64],
        stats: [RequestStatIncrement: Int64],
        routeStats: [RouteStatIncrement: Int64],
        audit: [AuditEntryRecord],
        width: Int64
    ) async throws {
        do {
            try await append(entries, usage: usage, stats: stats, routeStats: routeStats, audit: audit, width: width)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            // Staff deleted an organization while its requests waited in the batch: its
            // counters and audit rows have nothing to belong to; the log rows are kept.
            let named = Set(usage.keys.map(\.organizationId) + stats.keys.map(\.organizationId) + audit.compactMap(\.organizationId))
            let existing = try await read { db in
                try Set(
                    String.fetchAll(
                        db,
                        sql: "SELECT id FROM organizations WHERE id IN (\(named.map { _ in "?" }.joined(separator: ",")))",
                        arguments: StatementArguments(Array(named))
                    )
                )
            }
            try await append(
                entries,
                usage: usage.filter { existing.contains($0.key.organizationId) },
                stats: stats.filter { existing.contains($0.key.organizationId) },
                routeStats: routeStats,
                audit: audit.filter { $0.organizationId.map(existing.contains) ?? true },
                width: width
            )
        }
    }

    private func append(
        _ entries: [RequestLogEntry],
        usage: [UsageIncrement: Int64],
        stats: [RequestStatIncrement: Int64],
        routeStats: [RouteStatIncrement: Int64],
        audit: [AuditEntryRecord],
        width: Int64
    ) async throws {
        try await writeTransaction { db in
            // Runs of consecutive rows in one partition (a batch is normally one run), without copying rows.
            var lastID: [Int64: Int64] = [:]
            var runStart = entries.startIndex
            while runStart < entries.endIndex {
                let start = RequestLogPartition.start(of: entries[runStart].createdAt, width: width)
                var runEnd = runStart + 1
                while runEnd < entries.endIndex, RequestLogPartition.start(of: entries[runEnd].createdAt, width: width) == start {
                    runEnd += 1
                }
                let name = RequestLogPartition.name(start: start)
                var last: Int64
                if let known = lastID[start] {
                    last = known
                } else {
                    // Asked of sqlite_master, not GRDB's schema cache: a rolled-back batch that
                    // created the table would leave the cache saying it exists.
                    let exists =
                        try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [name]) ?? false
                    if !exists { try db.execute(sql: RequestLogPartition.createSQL(name)) }
                    last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM \(name)") ?? 0
                }
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO \(name) (\(RequestLogEntry.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                )
                for row in entries[runStart..<runEnd] {
                    last = max(RequestLogPartition.firstID(at: row.createdAt), last + 1)
                    try row.insert(as: last, with: insert)
                }
                lastID[start] = last
                runStart = runEnd
            }
            try self.addUsage(usage, in: db)
            for entry in audit { try entry.insert(db) }
            let count = try db.cachedStatement(
                sql: """
                    INSERT INTO request_stats (organization_id, livemode, hour_start, status_class, latency_bucket, count)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (organization_id, livemode, hour_start, status_class, latency_bucket)
                    DO UPDATE SET count = count + excluded.count
                    """
            )
            var months: [MonthKey: Int64] = [:]
            for (stat, quantity) in stats {
                try count.execute(arguments: [
                    stat.organizationId, stat.livemode, stat.hourStart, stat.statusClass, stat.latencyBucket, quantity,
                ])
                if stat.livemode { months[MonthKey(stat.organizationId, CivilTime.month(containing: stat.hourStart).start), default: 0] += quantity }
            }
            let month = try db.cachedStatement(
                sql: """
                    INSERT INTO organization_month_stats (organization_id, month_start, requests) VALUES (?, ?, ?)
                    ON CONFLICT (organization_id, month_start) DO UPDATE SET requests = requests + excluded.requests
                    """
            )
            for (key, quantity) in months { try month.execute(arguments: [key.organizationId, key.monthStart, quantity]) }
            let route = try db.cachedStatement(
                sql: """
                    INSERT INTO route_stats (hour_start, route, status_class, latency_bucket, count) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (hour_start, route, status_class, latency_bucket) DO UPDATE SET count = count + excluded.count
                    """
            )
            for (stat, quantity) in routeStats {
                try route.execute(arguments: [stat.hourStart, stat.route, stat.statusClass, stat.latencyBucket, quantity])
            }
        }
    }

    private struct MonthKey: Hashable {
        let organizationId: String
        let monthStart: Int64
        init(_ organizationId: String, _ monthStart: Int64) {
            self.organizationId = organizationId
            self.monthStart = monthStart
        }
    }

    /// A tenant's request counts per status class and latency bucket over the hours in `[from, until)`.
    package func requestStats(scope: TenantScope, from: Int64, until: Int64) async throws -> [RequestStatCount] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT status_class, latency_bucket, sum(count) FROM request_stats
                    WHERE organization_id = ? AND livemode = ? AND hour_start >= ? AND hour_start < ?
                    GROUP BY status_class, latency_bucket
                    """,
                arguments: [scope.organizationId, scope.livemode, from, until]
            ).map { RequestStatCount(statusClass: $0[0], latencyBucket: $0[1], count: $0[2]) }
        }
    }

    // MARK: Reading

    /// A page of logs, reading only the partitions that overlap the filter's time
    /// range (and the cursor), but examining at most `scanBudget` of the tenant's rows
    /// (newest first) when a filter beyond tenant and time is set, so a
    /// filter that matches little cannot walk millions of rows; the result
    /// says where the search stopped so the next page continues from there.
    /// Without a budget, or without such a filter, every row in range may be read.
    package func searchRequestLogs(
        scope: TenantScope,
        filter: RequestLogFilter,
        page: PageRequest,
        width: Int64,
        scanBudget: Int?
    ) async throws -> RequestLogSearch {
        try await read { db in
            let partitions = try self.partitions(db, width: width)
            var lower = filter.since.map(RequestLogPartition.firstID(at:)) ?? 0
            var upper = filter.until.map(RequestLogPartition.firstID(at:)) ?? Int64.max
            let ascending = page.endingBefore != nil
            if let cursor = page.startingAfter ?? page.endingBefore {
                guard let anchor = try Self.requestLog(db, requestId: cursor, scope: scope, partitions: partitions) else {
                    throw StoreError.notFound("starting_after/ending_before")
                }
                if ascending { lower = max(lower, anchor.id + 1) } else { upper = min(upper, anchor.id) }
            }
            var conditions = ["organization_id = ?", "livemode = ?", "id >= ?", "id < ?"]
            var arguments: StatementArguments = []  // the filters' own; the tenant and id range come first
            if let status = filter.status {
                conditions.append("status = ?")
                _ = arguments.append(contentsOf: [status])
            }
            if let statusClass = filter.statusClass {
                conditions.append("status >= ? AND status < ?")
                _ = arguments.append(contentsOf: [statusClass * 100, statusClass * 100 + 100])
            }
            if let method = filter.method {
                conditions.append("method = ?")
                _ = arguments.append(contentsOf: [method])
            }
            if let prefix = filter.pathPrefix {
                conditions.append("substr(path, 1, ?) = ?")
                _ = arguments.append(contentsOf: [prefix.count, prefix])
            }
            if let keyId = filter.keyId {
                conditions.append("key_id = ?")
                _ = arguments.append(contentsOf: [keyId])
            }
            // The budget bounds a newest-first walk; only filters that can skip rows need it.
            var budget = ascending || arguments.isEmpty ? nil : scanBudget
            let wanted = page.limit + 1
            var rows: [RequestLogEntry] = []
            var stoppedAt: String?
            let overlapping = partitions.filter {
                RequestLogPartition.firstID(at: $0.end) > lower && RequestLogPartition.firstID(at: $0.start) < upper
            }
            for partition in ascending ? overlapping : overlapping.reversed() where rows.count < wanted {
                var from = lower
                if let remaining = budget {
                    // The tenant's ids in range, newest first, from the index alone (no table reads).
                    let ids = try Int64.fetchAll(
                        db,
                        sql: """
                            SELECT id FROM \(partition.name) INDEXED BY \(partition.name)_by_tenant
                            WHERE organization_id = ? AND livemode = ? AND id >= ? AND id < ? ORDER BY id DESC LIMIT \(remaining)
                            """,
                        arguments: [scope.organizationId, scope.livemode, lower, upper]
                    )
                    if ids.count == remaining, let oldest = ids.last {
                        // The budget ends inside this partition: search down to `oldest`, then stop.
                        from = max(lower, oldest)
                        stoppedAt = try String.fetchOne(
                            db,
                            sql: "SELECT request_id FROM \(partition.name) WHERE id = ?",
                            arguments: [oldest]
                        )
                    }
                    budget = remaining - ids.count
                }
                let sql = """
                    SELECT \(RequestLogEntry.columns) FROM \(partition.name) INDEXED BY \(partition.name)_by_tenant
                    WHERE \(conditions.joined(separator: " AND ")) ORDER BY id \(ascending ? "ASC" : "DESC") LIMIT ?
                    """
                // The unfiltered page (the common one) is cached per partition and direction; filtered
                // ones vary too much (every combination of five filters) to keep each prepared.
                let statement = try arguments.isEmpty ? db.cachedStatement(sql: sql) : db.makeStatement(sql: sql)
                let range: StatementArguments = [scope.organizationId, scope.livemode, from, upper]
                rows += try statement.rows(arguments: range + arguments + [wanted - rows.count], RequestLogEntry.init(columns:))
                if stoppedAt != nil { break }
            }
            let found = Page(rows: consume rows, limit: page.limit, ascending: ascending)
            if found.hasMore { stoppedAt = nil }  // a full page: continue from its last row as usual
            return RequestLogSearch(items: found.items, hasMore: found.hasMore || stoppedAt != nil, stoppedAt: stoppedAt)
        }
    }

    /// The tenant's log row for a request id, or nil.
    package func requestLog(requestId: String, scope: TenantScope, width: Int64) async throws -> RequestLogEntry? {
        try await read { db in
            try Self.requestLog(db, requestId: requestId, scope: scope, partitions: self.partitions(db, width: width))
        }
    }

    /// Which of `requestIds` are already logged (restoring a spill file twice must not log twice).
    package func loggedRequestIDs(_ requestIds: [String], width: Int64) async throws -> Set<String> {
        try await read { db in
            var found: Set<String> = []
            for partition in try self.partitions(db, width: width) {
                let statement = try db.cachedStatement(
                    sql: "SELECT 1 FROM \(partition.name) INDEXED BY \(partition.name)_by_request WHERE request_id = ? LIMIT 1"
                )
                for id in requestIds where !found.contains(id) {
                    if try Bool.fetchOne(statement, arguments: [id]) != nil { found.insert(id) }
                }
            }
            return found
        }
    }

    /// Probes partitions newest first through their request-id index: O(partitions × log rows).
    static func requestLog(_ db: Database, requestId: String, scope: TenantScope, partitions: [RequestLogPartitionInfo]) throws -> RequestLogEntry? {
        for partition in partitions.reversed() {
            let sql = """
                SELECT \(RequestLogEntry.columns) FROM \(partition.name) INDEXED BY \(partition.name)_by_request
                WHERE request_id = ? AND organization_id = ? AND livemode = ? LIMIT 1
                """
            let statement = try db.cachedStatement(sql: sql)
            if let row = try statement.rows(arguments: [requestId, scope.organizationId, scope.livemode], RequestLogEntry.init(columns:)).first {
                return row
            }
        }
        return nil
    }

    /// Metered requests (authenticated, not refused with 429) per tenant in
    /// `[from, until)`, counted from the log rows: the reconciliation side of usage.
    package func meteredRequestCounts(from: Int64, until: Int64, width: Int64) async throws -> [TenantScope: Int64] {
        try await read { db in
            var counts: [TenantScope: Int64] = [:]
            for partition in try self.partitions(db, width: width) where partition.end > from && partition.start < until {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT organization_id, livemode, count(*) FROM \(partition.name)
                        WHERE organization_id IS NOT NULL AND status <> 429 AND created_at >= ? AND created_at < ?
                        GROUP BY organization_id, livemode
                        """,
                    arguments: [from, until]
                )
                for row in rows {
                    counts[TenantScope(organizationId: row[0], livemode: row[1]), default: 0] += row[2]
                }
            }
            return counts
        }
    }
}
