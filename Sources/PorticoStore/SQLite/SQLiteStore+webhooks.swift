import Foundation
import GRDB
import PorticoCore

// MARK: - Webhook endpoints

extension SQLiteStore {
    /// Inserts the endpoint and its audit row in one transaction.
    package func insertEndpoint(
        _ endpoint: WebhookEndpointRecord,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<Void>?
    ) async throws {
        try await write(completing: completion) { db in
            try endpoint.insert(db)
            try audit.insert(db)
        }
    }

    package func endpoint(id: String, scope: TenantScope) async throws -> WebhookEndpointRecord? {
        try await read { db in try WebhookEndpointRecord.scoped(scope).filter(WebhookEndpointRecord.Columns.id == id).fetchOne(db) }
    }

    package func endpoints(scope: TenantScope, page: PageRequest) async throws -> Page<WebhookEndpointRecord> {
        try await read { db in try WebhookEndpointRecord.scoped(scope).page(page, id: WebhookEndpointRecord.Columns.id, db: db) }
    }

    package func endpointCount(scope: TenantScope) async throws -> Int {
        try await read { db in try WebhookEndpointRecord.scoped(scope).fetchCount(db) }
    }

    /// Applies `change` to the tenant's endpoint and saves it in one
    /// transaction, with `audit`'s row when something changed; nil when there
    /// is no such endpoint. Deliveries still owed to an endpoint that becomes
    /// disabled are given up (`dead`).
    package func updateEndpoint(
        id: String,
        scope: TenantScope,
        audit: AuditEntryRecord?,
        completing completion: IdempotentCompletion<WebhookEndpointRecord?>?,
        _ change: @escaping @Sendable (inout WebhookEndpointRecord) throws -> Void
    ) async throws -> WebhookEndpointRecord? {
        try await write(completing: completion) { db in
            guard var endpoint = try WebhookEndpointRecord.scoped(scope).filter(WebhookEndpointRecord.Columns.id == id).fetchOne(db) else {
                return nil
            }
            let before = endpoint
            try change(&endpoint)
            if endpoint != before { try audit?.insert(db) }
            try Self.save(endpoint, changedFrom: before, db)
            return endpoint
        }
    }

    /// Replaces every endpoint secret stored in the clear (from before secrets
    /// were sealed) with `seal`'s result, in one transaction whose freed pages
    /// are zeroed; returns the secrets sealed and whether any secret was sealed
    /// already (a sealed secret with a brand-new key cannot be opened).
    package func sealEndpointSecrets(
        isSealed: @escaping @Sendable (String) -> Bool,
        seal: @escaping @Sendable (_ secret: String, _ endpointID: String) -> String
    ) async throws -> (sealed: Int, foundSealed: Bool) {
        let result = try await writeTransaction { db -> (Int, Bool) in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            var sealed = 0
            var foundSealed = false
            for row in try Row.fetchAll(db, sql: "SELECT id, secret, previous_secret FROM webhook_endpoints") {
                let id: String = row["id"]
                let secret: String = row["secret"]
                let previous: String? = row["previous_secret"]
                foundSealed = foundSealed || isSealed(secret)
                guard !isSealed(secret) || previous.map({ !isSealed($0) }) == true else { continue }
                try db.execute(
                    sql: "UPDATE webhook_endpoints SET secret = ?, previous_secret = ? WHERE id = ?",
                    arguments: [isSealed(secret) ? secret : seal(secret, id), previous.map { isSealed($0) ? $0 : seal($0, id) }, id]
                )
                sealed += 1
            }
            return (sealed, foundSealed)
        }
        // The old plaintext pages are still in the WAL until it is emptied.
        if result.0 > 0 { _ = try? await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
        return (result.0, result.1)
    }

    /// Deletes the tenant's endpoint with its deliveries and attempts, and
    /// writes `audit`'s row; false (and nothing written) when there was none.
    package func endpoints(urlPrefix prefix: String) async throws -> [WebhookEndpointRecord] {
        try await read { db in
            try WebhookEndpointRecord.filter(sql: "substr(url, 1, ?) = ?", arguments: [prefix.count, prefix]).fetchAll(db)
        }
    }

    package func touchEndpoints(ids: [String], at: Int64) async throws {
        guard !ids.isEmpty else { return }
        try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE webhook_endpoints SET updated_at = MAX(updated_at, ?) WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                arguments: [at] + StatementArguments(ids)
            )
        }
    }

    package func deleteEndpoint(id: String, scope: TenantScope, audit: AuditEntryRecord) async throws -> Bool {
        try await writeTransaction { db in
            guard try WebhookEndpointRecord.scoped(scope).filter(WebhookEndpointRecord.Columns.id == id).deleteAll(db) > 0 else {
                return false
            }
            try audit.insert(db)
            return true
        }
    }

    /// Writes an endpoint change; when it disables the endpoint, the
    /// deliveries still owed to it are given up (`dead`) in the same transaction.
    static func save(_ endpoint: WebhookEndpointRecord, changedFrom before: WebhookEndpointRecord, _ db: Database) throws {
        guard endpoint != before else { return }
        try endpoint.update(db)
        guard endpoint.abandonsOwedDeliveries(since: before) else { return }
        try db.execute(
            sql: """
                UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, updated_at = ?
                WHERE endpoint_id = ? AND next_attempt_at IS NOT NULL
                """,
            arguments: [endpoint.updatedAt, endpoint.id]
        )
    }
}

// MARK: - Deliveries

extension SQLiteStore {
    package func deliveries(scope: TenantScope, filter: DeliveryFilter, page: PageRequest) async throws -> Page<DeliveryView> {
        try await read { db in
            var request = WebhookDeliveryRecord.scoped(scope)
            if let endpointId = filter.endpointId { request = request.filter(WebhookDeliveryRecord.Columns.endpointId == endpointId) }
            if let eventId = filter.eventId { request = request.filter(WebhookDeliveryRecord.Columns.eventId == eventId) }
            if let status = filter.status { request = request.filter(WebhookDeliveryRecord.Columns.status == status.rawValue) }
            let records = try request.page(page, id: WebhookDeliveryRecord.Columns.id, db: db)
            return Page(items: try Self.withEventTypes(records.items, db), hasMore: records.hasMore)
        }
    }

    /// One delivery of the tenant with every attempt, oldest first.
    package func delivery(id: String, scope: TenantScope) async throws -> (DeliveryView, [WebhookAttemptRecord])? {
        try await read { db in
            guard let record = try WebhookDeliveryRecord.scoped(scope).filter(WebhookDeliveryRecord.Columns.id == id).fetchOne(db),
                let view = try Self.withEventTypes([record], db).first
            else { return nil }
            let attempts = try WebhookAttemptRecord.filter(Column("delivery_id") == id).order(Column("id")).fetchAll(db)
            return (view, attempts)
        }
    }

    /// Makes a delivery due now (`POST /v1/webhook-deliveries/{id}/retry`),
    /// whatever its state; nil when the tenant has no such delivery. Its
    /// endpoint must be enabled.
    package func retryDelivery(
        id: String,
        scope: TenantScope,
        now: Int64,
        completing completion: IdempotentCompletion<Result<DeliveryView, RetryRefusal>?>?
    ) async throws -> Result<DeliveryView, RetryRefusal>? {
        try await write(completing: completion) { db in
            guard var record = try WebhookDeliveryRecord.scoped(scope).filter(WebhookDeliveryRecord.Columns.id == id).fetchOne(db) else {
                return nil
            }
            guard try WebhookEndpointRecord.fetchOne(db, key: record.endpointId)?.status == .enabled else { return .failure(.endpointDisabled) }
            record.status = .pending
            record.nextAttemptAt = now
            record.updatedAt = now
            try record.update(db)
            db.afterNextTransaction { [deliveriesQueued = self.deliveriesQueued] _ in deliveriesQueued.fire() }
            return try Self.withEventTypes([record], db).first.map { .success($0) }
        }
    }

    static func withEventTypes(_ records: [WebhookDeliveryRecord], _ db: Database) throws -> [DeliveryView] {
        guard !records.isEmpty else { return [] }
        let ids = Array(Set(records.map(\.eventId)))
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT id, type FROM events WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
            arguments: StatementArguments(ids)
        )
        let types = Dictionary(rows.map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { first, _ in first })
        return records.map { DeliveryView(delivery: $0, eventType: types[$0.eventId] ?? "") }
    }
}

// MARK: - Replays

extension SQLiteStore {
    package func insertReplay(_ replay: WebhookReplayRecord, completing completion: IdempotentCompletion<Void>?) async throws {
        try await write(completing: completion) { db in try replay.insert(db) }
    }

    package func replay(id: String, scope: TenantScope) async throws -> WebhookReplayRecord? {
        try await read { db in
            try WebhookReplayRecord.scoped(scope).filter(Column("id") == id).fetchOne(db)
        }
    }

    /// Replays left running by an earlier process (resumed at start).
    package func runningReplays() async throws -> [WebhookReplayRecord] {
        try await read { db in try WebhookReplayRecord.filter(Column("status") == WebhookReplayRecord.Status.running.rawValue).fetchAll(db) }
    }

    /// Re-queues up to `chunk` more of the replay's failed and dead
    /// deliveries (in id order, after `cursor`) in one transaction and adds
    /// them to its progress; marks it completed when none are left. Returns
    /// the cursor to continue from, nil when done.
    package func continueReplay(id: String, after cursor: String?, chunk: Int, now: Int64) async throws -> String? {
        try await writeTransaction { db in
            guard var replay = try WebhookReplayRecord.fetchOne(db, key: id), replay.status == .running else { return nil }
            let lower = max(cursor ?? "", Identifier.lowerBound("whd", at: replay.since))
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_by_endpoint
                    WHERE endpoint_id = ? AND id > ? AND id < ? AND status IN ('failed', 'dead')
                    ORDER BY id LIMIT ?
                    """,
                arguments: [replay.endpointId, lower, Identifier.lowerBound("whd", at: replay.until), chunk]
            )
            if !ids.isEmpty {
                try db.execute(
                    sql: """
                        UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?
                        WHERE id IN (\(databaseQuestionMarks(count: ids.count)))
                        """,
                    arguments: StatementArguments([now, now]) + StatementArguments(ids)
                )
                db.afterNextTransaction { [deliveriesQueued = self.deliveriesQueued] _ in deliveriesQueued.fire() }
            }
            replay.queued += ids.count
            if ids.count < chunk {
                replay.status = .completed
                replay.completedAt = now
            }
            try replay.update(db)
            return replay.status == .completed ? nil : ids.last
        }
    }
}

// MARK: - Dispatching

extension SQLiteStore {
    /// In one read: the due deliveries of every enabled endpoint not
    /// already at its concurrency limit (at most `perEndpoint` each, oldest
    /// due first), handed to `claim`, which picks those to start; then the
    /// jobs for the picked ones and the earliest future due time. Each
    /// endpoint is one probe of `webhook_deliveries_due_by_endpoint`, so the
    /// cost grows with the number of endpoints, never with a busy endpoint's
    /// backlog.
    package func claimDueWork(
        now: Int64,
        excludingEndpoints: Set<String>,
        listeners: Set<String>,
        perEndpoint: Int,
        claim: @escaping @Sendable ([(id: String, endpointId: String)]) -> [String]
    ) async throws -> DueWork {
        try await read { db in
            var sql = """
                SELECT d.id, d.endpoint_id FROM webhook_endpoints e
                JOIN webhook_deliveries d ON d.id IN (
                    SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_due_by_endpoint
                    WHERE endpoint_id = e.id AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
                WHERE e.status = 'enabled'
                AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = e.organization_id AND o.suspended_at IS NOT NULL)
                """
            var arguments: StatementArguments = [now, perEndpoint]
            let prefix = WebhookEndpointRecord.listenerURLPrefix
            sql += " AND (substr(e.url, 1, \(prefix.count)) <> ?"
            arguments += [prefix]
            if !listeners.isEmpty {
                sql += " OR e.id IN (\(databaseQuestionMarks(count: listeners.count)))"
                arguments += StatementArguments(Array(listeners))
            }
            sql += ")"
            if !excludingEndpoints.isEmpty {
                sql += " AND e.id NOT IN (\(databaseQuestionMarks(count: excludingEndpoints.count)))"
                arguments += StatementArguments(Array(excludingEndpoints))
            }
            sql += " ORDER BY d.next_attempt_at"
            let due = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { (id: $0[0] as String, endpointId: $0[1] as String) }
            let claimed = claim(due)
            let next = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at > ?"),
                arguments: [now]
            )
            let jobs = try Self.jobs(ids: claimed, db)
            let started = Set(jobs.map(\.delivery.id))
            let gone = due.filter { claimed.contains($0.id) && !started.contains($0.id) }
            return DueWork(jobs: jobs, claimedButGone: gone, nextDueAt: next)
        }
    }

    /// The jobs for the given delivery ids (those still owed an attempt).
    static func jobs(ids: [String], _ db: Database) throws -> [DeliveryJob] {
        guard !ids.isEmpty else { return [] }
        var endpoints: [String: WebhookEndpointRecord] = [:]
        var events: [String: EventRecord] = [:]
        let deliveryStatement = try db.cachedStatement(sql: "SELECT * FROM webhook_deliveries WHERE id = ? AND next_attempt_at IS NOT NULL")
        let endpointStatement = try db.cachedStatement(sql: "SELECT * FROM webhook_endpoints WHERE id = ?")
        let eventStatement = try db.cachedStatement(sql: "SELECT \(EventRecord.columns) FROM events WHERE id = ?")
        return try ids.compactMap { id in
            guard let delivery = try WebhookDeliveryRecord.fetchOne(deliveryStatement, arguments: [id]) else { return nil }
            if endpoints[delivery.endpointId] == nil {
                endpoints[delivery.endpointId] = try WebhookEndpointRecord.fetchOne(endpointStatement, arguments: [delivery.endpointId])
            }
            if events[delivery.eventId] == nil { events[delivery.eventId] = try EventRecord.fetchOne(eventStatement, arguments: [delivery.eventId]) }
            guard let endpoint = endpoints[delivery.endpointId], let event = events[delivery.eventId] else { return nil }
            return DeliveryJob(delivery: delivery, endpoint: endpoint, event: event)
        }
    }

    /// Records attempts and their consequences, all in one transaction (the
    /// dispatcher groups the attempts that finished while the previous commit
    /// ran). For each, `apply` updates the delivery and its endpoint
    /// (schedule, status, failing streak) and returns events to publish (a
    /// dead letter, a disabled endpoint). An attempt whose delivery or
    /// endpoint is gone is skipped.
    package func recordAttempts(_ outcomes: [AttemptOutcome]) async throws {
        try await writeTransaction { db in
            // Attempts to one endpoint usually come together: read it once per batch, keep it current.
            var endpoints: [String: WebhookEndpointRecord] = [:]
            for outcome in outcomes { try self.record(outcome, endpoints: &endpoints, db) }
        }
    }

    /// Adds one attempt to the hourly counts the dashboard and the console read (`webhook_attempt_stats`).
    func countAttempt(of delivery: WebhookDeliveryRecord, at attemptedAt: Int64, succeeded: Bool, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO webhook_attempt_stats (organization_id, livemode, hour_start, succeeded, failed) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (organization_id, livemode, hour_start)
                DO UPDATE SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed
                """
        ).execute(arguments: [
            delivery.organizationId, delivery.livemode, attemptedAt - attemptedAt % 3_600_000, succeeded ? 1 : 0, succeeded ? 0 : 1,
        ])
    }

    private func record(_ outcome: AttemptOutcome, endpoints: inout [String: WebhookEndpointRecord], _ db: Database) throws {
        guard
            var delivery = try WebhookDeliveryRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM webhook_deliveries WHERE id = ?"),
                arguments: [outcome.attempt.deliveryId]
            )
        else { return }
        if endpoints[delivery.endpointId] == nil {
            endpoints[delivery.endpointId] = try WebhookEndpointRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM webhook_endpoints WHERE id = ?"),
                arguments: [delivery.endpointId]
            )
        }
        guard var endpoint = endpoints[delivery.endpointId] else { return }
        let before = endpoint
        let events = outcome.apply(&delivery, &endpoint)
        try outcome.attempt.insert(db)
        // `apply` has just judged this attempt: the delivery is succeeded exactly when it was.
        try countAttempt(of: delivery, at: outcome.attempt.attemptedAt, succeeded: delivery.status == .succeeded, db)
        try db.cachedStatement(
            sql: """
                UPDATE webhook_deliveries SET status = ?, attempt_count = ?, next_attempt_at = ?, last_attempt_at = ?,
                    last_status_code = ?, updated_at = ? WHERE id = ?
                """
        ).execute(arguments: [
            delivery.status.rawValue, delivery.attemptCount, delivery.nextAttemptAt, delivery.lastAttemptAt, delivery.lastStatusCode,
            delivery.updatedAt, delivery.id,
        ])
        try Self.save(endpoint, changedFrom: before, db)
        endpoints[endpoint.id] = endpoint
        for event in events {
            try self.publish(event, in: db)
            // Owners and admins hear of it by mail too, in this same transaction.
            switch AlertKind(rawValue: event.type) {
            case .endpointDisabled:
                try insertAlertMails(
                    .endpointDisabled,
                    organizationId: endpoint.organizationId,
                    endpoint: endpoint,
                    count: 1,
                    at: event.createdAt,
                    db
                )
            case .deliveriesExhausted: try alertDeliveryExhausted(endpoint, at: event.createdAt, db)
            case .keyExpiring, .usageThreshold, nil: break
            }
        }
    }

    /// A tenant's webhook attempts over the hours in `[from, until)`: (succeeded, failed).
    package func webhookAttemptStats(scope: TenantScope, from: Int64, until: Int64) async throws -> (succeeded: Int64, failed: Int64) {
        try await read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT coalesce(sum(succeeded), 0), coalesce(sum(failed), 0) FROM webhook_attempt_stats
                    WHERE organization_id = ? AND livemode = ? AND hour_start >= ? AND hour_start < ?
                    """,
                arguments: [scope.organizationId, scope.livemode, from, until]
            )
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    /// Deliveries owed an attempt, and the oldest due time among them (metrics).
    package func deliveryBacklog() async throws -> (owed: Int, oldestDueAt: Int64?) {
        try await read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT COUNT(*), MIN(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL"
            )
            return (row?[0] ?? 0, row?[1])
        }
    }
}
