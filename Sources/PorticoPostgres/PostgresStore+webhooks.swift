import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO
import Synchronization

// MARK: - Webhook endpoints

extension PostgresStore {
    package func insertEndpoint(
        _ endpoint: WebhookEndpointRecord,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<Void>?
    ) async throws {
        try await write(completing: completion) { connection in
            try await connection.insert(endpoint, logger: logger)
            try await connection.insert(audit, logger: logger)
        }
    }

    package func endpoint(id: String, scope: TenantScope) async throws -> WebhookEndpointRecord? {
        try await read { connection in
            try await connection.one(
                WebhookEndpointRecord.self,
                "SELECT * FROM webhook_endpoints WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                logger: logger
            )
        }
    }

    package func endpoints(scope: TenantScope, page: PageRequest) async throws -> Page<WebhookEndpointRecord> {
        try await read { connection in
            try await connection.page(
                WebhookEndpointRecord.self,
                from: "webhook_endpoints",
                where: "organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                page: page,
                logger: logger
            )
        }
    }

    package func endpointCount(scope: TenantScope) async throws -> Int {
        try await read { connection in
            Int(
                try await connection.value(
                    Int64.self,
                    "SELECT count(*) FROM webhook_endpoints WHERE organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                    logger: logger
                ) ?? 0
            )
        }
    }

    package func endpoints(urlPrefix prefix: String) async throws -> [WebhookEndpointRecord] {
        try await read { connection in
            try await connection.all(WebhookEndpointRecord.self, "SELECT * FROM webhook_endpoints WHERE starts_with(url, \(prefix))", logger: logger)
        }
    }

    package func touchEndpoints(ids: [String], at: Int64) async throws {
        guard !ids.isEmpty else { return }
        _ = try await write { connection in
            try await connection.run(
                "UPDATE webhook_endpoints SET updated_at = GREATEST(updated_at, \(at)) WHERE id = ANY(\(ids))",
                logger: logger
            )
        }
    }

    package func updateEndpoint(
        id: String,
        scope: TenantScope,
        audit: AuditEntryRecord?,
        completing completion: IdempotentCompletion<WebhookEndpointRecord?>?,
        _ change: @escaping @Sendable (inout WebhookEndpointRecord) throws -> Void
    ) async throws -> WebhookEndpointRecord? {
        try await write(completing: completion) { connection -> WebhookEndpointRecord? in
            guard
                var endpoint = try await connection.one(
                    WebhookEndpointRecord.self,
                    """
                    SELECT * FROM webhook_endpoints WHERE id = \(id) AND organization_id = \(scope.organizationId)
                    AND livemode = \(scope.livemode) FOR UPDATE
                    """,
                    logger: logger
                )
            else { return nil }
            let before = endpoint
            try change(&endpoint)
            if endpoint != before, let audit { try await connection.insert(audit, logger: logger) }
            try await Self.save(endpoint, changedFrom: before, connection, logger)
            return endpoint
        }
    }

    /// Seals every endpoint secret stored in the clear. PostgreSQL keeps the old row
    /// versions until VACUUM reclaims them (docs/scaling.md: run VACUUM after sealing).
    package func sealEndpointSecrets(
        isSealed: @escaping @Sendable (String) -> Bool,
        seal: @escaping @Sendable (_ secret: String, _ endpointID: String) -> String
    ) async throws -> (sealed: Int, foundSealed: Bool) {
        let result = try await write { connection -> SealResult in
            var result = SealResult()
            let rows = try await connection.rows("SELECT id, secret, previous_secret FROM webhook_endpoints FOR UPDATE", logger: logger)
            var endpoints: [(String, String, String?)] = []
            for try await row in rows.decode((String, String, String?).self) { endpoints.append(row) }
            for (id, secret, previous) in endpoints {
                result.foundSealed = result.foundSealed || isSealed(secret)
                guard !isSealed(secret) || previous.map({ !isSealed($0) }) == true else { continue }
                let newSecret = isSealed(secret) ? secret : seal(secret, id)
                let newPrevious = previous.map { isSealed($0) ? $0 : seal($0, id) }
                try await connection.run(
                    "UPDATE webhook_endpoints SET secret = \(newSecret), previous_secret = \(newPrevious) WHERE id = \(id)",
                    logger: logger
                )
                result.sealed += 1
            }
            return result
        }
        return (result.sealed, result.foundSealed)
    }

    private struct SealResult: Sendable {
        var sealed = 0
        var foundSealed = false
    }

    package func deleteEndpoint(id: String, scope: TenantScope, audit: AuditEntryRecord) async throws -> Bool {
        try await write { connection in
            let deleted = try await connection.run(
                "DELETE FROM webhook_endpoints WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                logger: logger
            )
            guard deleted > 0 else { return false }
            try await connection.insert(audit, logger: logger)
            return true
        }
    }

    /// Writes an endpoint change; when it disables the endpoint, the deliveries still owed
    /// to it are given up (`dead`) in the same transaction.
    static func save(
        _ endpoint: WebhookEndpointRecord,
        changedFrom before: WebhookEndpointRecord,
        _ connection: PostgresConnection,
        _ logger: Logger
    )
        async throws
    {
        guard endpoint != before else { return }
        let abandons = endpoint.abandonsOwedDeliveries(since: before)
        if abandons {
            // Waits for events being fanned out to it (FOR KEY SHARE in `publish`), so the
            // deliveries they commit are given up below and later ones see it disabled.
            try await connection.run("SELECT 1 FROM webhook_endpoints WHERE id = \(endpoint.id) FOR UPDATE", logger: logger)
        }
        try await connection.update(endpoint, logger: logger)
        guard abandons else { return }
        try await connection.run(
            """
            UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, lease_until = NULL, updated_at = \(endpoint.updatedAt)
            WHERE endpoint_id = \(endpoint.id) AND next_attempt_at IS NOT NULL
            """,
            logger: logger
        )
    }
}

// MARK: - Deliveries

extension PostgresStore {
    package func deliveries(scope: TenantScope, filter: DeliveryFilter, page: PageRequest) async throws -> Page<DeliveryView> {
        let status = filter.status?.rawValue
        return try await read { connection in
            let records = try await connection.page(
                WebhookDeliveryRecord.self,
                from: "webhook_deliveries",
                where: """
                    organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)
                    AND (\(filter.endpointId)::text IS NULL OR endpoint_id = \(filter.endpointId))
                    AND (\(filter.eventId)::text IS NULL OR event_id = \(filter.eventId))
                    AND (\(status)::text IS NULL OR status = \(status))
                    """,
                page: page,
                logger: logger
            )
            return Page(items: try await Self.withEventTypes(records.items, connection, logger), hasMore: records.hasMore)
        }
    }

    package func delivery(id: String, scope: TenantScope) async throws -> (DeliveryView, [WebhookAttemptRecord])? {
        let found: DeliveryWithAttempts? = try await readSnapshot { connection in
            guard
                let record = try await connection.one(
                    WebhookDeliveryRecord.self,
                    "SELECT * FROM webhook_deliveries WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                    logger: logger
                ),
                let view = try await Self.withEventTypes([record], connection, logger).first
            else { return nil }
            let attempts = try await connection.all(
                WebhookAttemptRecord.self,
                "SELECT * FROM webhook_attempts WHERE delivery_id = \(id) ORDER BY id",
                logger: logger
            )
            return DeliveryWithAttempts(view: view, attempts: attempts)
        }
        return found.map { ($0.view, $0.attempts) }
    }

    private struct DeliveryWithAttempts: Sendable {
        var view: DeliveryView
        var attempts: [WebhookAttemptRecord]
    }

    package func retryDelivery(
        id: String,
        scope: TenantScope,
        now: Int64,
        completing completion: IdempotentCompletion<Result<DeliveryView, RetryRefusal>?>?
    ) async throws -> Result<DeliveryView, RetryRefusal>? {
        try await write(completing: completion) { connection -> Result<DeliveryView, RetryRefusal>? in
            guard
                var record = try await connection.one(
                    WebhookDeliveryRecord.self,
                    """
                    SELECT * FROM webhook_deliveries WHERE id = \(id) AND organization_id = \(scope.organizationId)
                    AND livemode = \(scope.livemode) FOR UPDATE
                    """,
                    logger: logger
                )
            else { return nil }
            let status = try await connection.value(
                String.self,
                "SELECT status FROM webhook_endpoints WHERE id = \(record.endpointId)",
                logger: logger
            )
            guard status == WebhookEndpointRecord.Status.enabled.rawValue else { return .failure(.endpointDisabled) }
            record.status = .pending
            record.nextAttemptAt = now
            record.updatedAt = now
            try await connection.update(record, logger: logger)
            Self.afterCommit?.note(.deliveries)
            return try await Self.withEventTypes([record], connection, logger).first.map { .success($0) }
        }
    }

    static func withEventTypes(_ records: [WebhookDeliveryRecord], _ connection: PostgresConnection, _ logger: Logger) async throws -> [DeliveryView]
    {
        guard !records.isEmpty else { return [] }
        let ids = Array(Set(records.map(\.eventId)))
        var types: [String: String] = [:]
        let rows = try await connection.rows("SELECT id, type FROM events WHERE id = ANY(\(ids))", logger: logger)
        for try await (id, type) in rows.decode((String, String).self) { types[id] = type }
        return records.map { DeliveryView(delivery: $0, eventType: types[$0.eventId] ?? "") }
    }
}

// MARK: - Replays

extension PostgresStore {
    package func insertReplay(_ replay: WebhookReplayRecord, completing completion: IdempotentCompletion<Void>?) async throws {
        try await write(completing: completion) { connection in try await connection.insert(replay, logger: logger) }
    }

    package func replay(id: String, scope: TenantScope) async throws -> WebhookReplayRecord? {
        try await read { connection in
            try await connection.one(
                WebhookReplayRecord.self,
                "SELECT * FROM webhook_replays WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                logger: logger
            )
        }
    }

    package func runningReplays() async throws -> [WebhookReplayRecord] {
        try await read { connection in
            try await connection.all(WebhookReplayRecord.self, "SELECT * FROM webhook_replays WHERE status = 'running' ORDER BY id", logger: logger)
        }
    }

    /// Re-queues up to `chunk` more of the replay's failed and dead deliveries; the replay's
    /// row is locked, so two instances resuming it at once take turns.
    package func continueReplay(id: String, after cursor: String?, chunk: Int, now: Int64) async throws -> String? {
        try await write { connection -> String? in
            guard
                var replay = try await connection.one(
                    WebhookReplayRecord.self,
                    "SELECT * FROM webhook_replays WHERE id = \(id) FOR UPDATE",
                    logger: logger
                ),
                replay.status == .running
            else { return nil }
            let lower = max(cursor ?? "", Identifier.lowerBound("whd", at: replay.since))
            let upper = Identifier.lowerBound("whd", at: replay.until)
            let ids = try await connection.column(
                String.self,
                """
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = \(now), updated_at = \(now) WHERE id IN (
                    SELECT id FROM webhook_deliveries WHERE endpoint_id = \(replay.endpointId) AND id > \(lower) AND id < \(upper)
                    AND status IN ('failed', 'dead') ORDER BY id LIMIT \(Int64(chunk)) FOR UPDATE)
                RETURNING id
                """,
                logger: logger
            ).sorted()
            if !ids.isEmpty { Self.afterCommit?.note(.deliveries) }
            replay.queued += ids.count
            if ids.count < chunk {
                replay.status = .completed
                replay.completedAt = now
            }
            try await connection.update(replay, logger: logger)
            return replay.status == .completed ? nil : ids.last
        }
    }
}

// MARK: - Dispatching

extension PostgresStore {
    /// The due deliveries of every enabled endpoint not already at its limit (at most
    /// `perEndpoint` each, oldest due first) that no other instance holds, handed to
    /// `claim`; the picked ones are leased to this instance until `now +
    /// deliveryLeaseMilliseconds` in the same transaction. Rows being claimed at this
    /// moment are skipped (`FOR UPDATE SKIP LOCKED`). Another instance does not see a
    /// leased row until its attempt is recorded or its lease ends (its holder died
    /// mid-attempt); this instance still does, as on SQLite, and its dispatcher's
    /// `claim` leaves out what it has in flight.
    package func claimDueWork(
        now: Int64,
        excludingEndpoints: Set<String>,
        listeners: Set<String>,
        perEndpoint: Int,
        claim: @escaping @Sendable ([(id: String, endpointId: String)]) -> [String]
    ) async throws -> DueWork {
        let excluded = Array(excludingEndpoints)
        let leaseUntil = now + deliveryLeaseMilliseconds
        // What `claim` reserved in the dispatcher's memory: handed back as gone if the
        // transaction fails after it, so a lost connection never keeps its slots for good.
        let reserved = Mutex<[(id: String, endpointId: String)]>([])
        do {
            return try await write { connection in
                let rows = try await connection.rows(
                    """
                    SELECT d.id, d.endpoint_id FROM webhook_endpoints e
                    CROSS JOIN LATERAL (
                        SELECT id, endpoint_id, next_attempt_at FROM webhook_deliveries
                        WHERE endpoint_id = e.id AND next_attempt_at <= \(now)
                        AND (lease_until IS NULL OR lease_until <= \(now) OR lease_owner = \(instanceID))
                        ORDER BY next_attempt_at LIMIT \(Int64(perEndpoint)) FOR UPDATE SKIP LOCKED) d
                    WHERE e.status = 'enabled' AND NOT (e.id = ANY(\(excluded)::text[]))
                    AND (NOT starts_with(e.url, \(WebhookEndpointRecord.listenerURLPrefix)) OR e.id = ANY(\(Array(listeners))::text[]))
                    AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = e.organization_id AND o.suspended_at IS NOT NULL)
                    ORDER BY d.next_attempt_at, d.id
                    """,
                    logger: logger
                )
                var due: [(id: String, endpointId: String)] = []
                for try await (id, endpointId) in rows.decode((String, String).self) { due.append((id, endpointId)) }
                let claimed = claim(due)
                reserved.withLock { $0 = due.filter { claimed.contains($0.id) } }
                if !claimed.isEmpty {
                    try await connection.run(
                        "UPDATE webhook_deliveries SET lease_owner = \(instanceID), lease_until = \(leaseUntil) WHERE id = ANY(\(claimed))",
                        logger: logger
                    )
                }
                // When to look again: the next retry, or the end of the soonest lease (a lower bound
                // of when something falls due: waking early costs one empty pass). Two index reads.
                let next =
                    try await connection.value(
                        Int64?.self,
                        """
                        SELECT LEAST(
                            (SELECT min(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at > \(now)),
                            (SELECT min(lease_until) FROM webhook_deliveries WHERE lease_until > \(now) AND next_attempt_at IS NOT NULL))
                        """,
                        logger: logger
                    ) ?? nil
                let jobs = try await Self.jobs(ids: claimed, connection, logger)
                let started = Set(jobs.map(\.delivery.id))
                let gone = due.filter { claimed.contains($0.id) && !started.contains($0.id) }
                return DueWorkBox(work: DueWork(jobs: jobs, claimedButGone: gone, nextDueAt: next))
            }.work
        } catch {
            let claimed = reserved.withLock { $0 }
            guard !claimed.isEmpty else { throw error }
            // Nothing was leased (the transaction rolled back): give the slots back and look again soon.
            logger.warning("claiming due deliveries failed; they stay due", metadata: ["error": "\(String(reflecting: error))"])
            return DueWork(jobs: [], claimedButGone: claimed, nextDueAt: now + 1_000)
        }
    }

    /// `DueWork` holds tuples, which Swift does not see as Sendable across the transaction.
    private struct DueWorkBox: @unchecked Sendable {
        var work: DueWork
    }

    static func jobs(ids: [String], _ connection: PostgresConnection, _ logger: Logger) async throws -> [DeliveryJob] {
        guard !ids.isEmpty else { return [] }
        let deliveries = try await connection.all(
            WebhookDeliveryRecord.self,
            "SELECT * FROM webhook_deliveries WHERE id = ANY(\(ids)) AND next_attempt_at IS NOT NULL",
            logger: logger
        )
        let endpoints = try await connection.all(
            WebhookEndpointRecord.self,
            "SELECT * FROM webhook_endpoints WHERE id = ANY(\(Array(Set(deliveries.map(\.endpointId)))))",
            logger: logger
        )
        let events = try await connection.all(
            EventRecord.self,
            "SELECT * FROM events WHERE id = ANY(\(Array(Set(deliveries.map(\.eventId)))))",
            logger: logger
        )
        let endpointsById = Dictionary(endpoints.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let eventsById = Dictionary(events.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let deliveriesById = Dictionary(deliveries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { id in
            guard let delivery = deliveriesById[id], let endpoint = endpointsById[delivery.endpointId], let event = eventsById[delivery.eventId]
            else { return nil }
            return DeliveryJob(delivery: delivery, endpoint: endpoint, event: event)
        }
    }

    /// Records attempts and their consequences in one transaction, releasing each delivery's lease.
    package func recordAttempts(_ outcomes: [AttemptOutcome]) async throws {
        let ids = Array(Set(outcomes.map(\.attempt.deliveryId))).sorted()
        try await write { connection in
            // Endpoints first, then deliveries, each in id order: the order every writer of
            // both takes (an endpoint update gives up its deliveries), so instances recording
            // overlapping batches wait for each other instead of deadlocking.
            var endpoints: [String: WebhookEndpointRecord] = [:]
            for endpoint in try await connection.all(
                WebhookEndpointRecord.self,
                """
                SELECT * FROM webhook_endpoints WHERE id IN (SELECT endpoint_id FROM webhook_deliveries WHERE id = ANY(\(ids)))
                ORDER BY id FOR NO KEY UPDATE
                """,
                logger: logger
            ) {
                endpoints[endpoint.id] = endpoint
            }
            var leases: [String: (owner: String?, until: Int64?)] = [:]
            let rows = try await connection.rows(
                "SELECT id, lease_owner, lease_until FROM webhook_deliveries WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE",
                logger: logger
            )
            for try await (id, owner, until) in rows.decode((String, String?, Int64?).self) { leases[id] = (owner, until) }
            for outcome in outcomes {
                // Another instance took the delivery over when this one's lease ran out and still
                // holds it: its attempt is the one that counts; this late outcome is dropped.
                if let lease = leases[outcome.attempt.deliveryId], let owner = lease.owner, owner != instanceID,
                    (lease.until ?? 0) > outcome.attempt.attemptedAt
                {
                    logger.warning(
                        "dropping the outcome of an attempt whose lease another instance holds",
                        metadata: ["delivery": "\(outcome.attempt.deliveryId)"]
                    )
                    continue
                }
                try await self.record(outcome, endpoints: &endpoints, connection)
            }
        }
    }

    private func record(_ outcome: AttemptOutcome, endpoints: inout [String: WebhookEndpointRecord], _ connection: PostgresConnection) async throws {
        guard
            var delivery = try await connection.one(
                WebhookDeliveryRecord.self,
                "SELECT * FROM webhook_deliveries WHERE id = \(outcome.attempt.deliveryId) FOR UPDATE",
                logger: logger
            )
        else { return }
        if endpoints[delivery.endpointId] == nil {
            endpoints[delivery.endpointId] = try await connection.one(
                WebhookEndpointRecord.self,
                "SELECT * FROM webhook_endpoints WHERE id = \(delivery.endpointId) FOR NO KEY UPDATE",
                logger: logger
            )
        }
        guard var endpoint = endpoints[delivery.endpointId] else { return }
        let before = endpoint
        let events = outcome.apply(&delivery, &endpoint)
        try await Self.insertAttempt(outcome.attempt, connection, logger)
        // `apply` has just judged this attempt: the delivery is succeeded exactly when it was.
        try await Self.countAttempt(of: delivery, at: outcome.attempt.attemptedAt, succeeded: delivery.status == .succeeded, connection, logger)
        try await connection.run(
            """
            UPDATE webhook_deliveries SET status = \(delivery.status.rawValue), attempt_count = \(Int64(delivery.attemptCount)),
                next_attempt_at = \(delivery.nextAttemptAt), last_attempt_at = \(delivery.lastAttemptAt),
                last_status_code = \(delivery.lastStatusCode.map(Int64.init)), updated_at = \(delivery.updatedAt), lease_owner = NULL,
                lease_until = NULL
            WHERE id = \(delivery.id)
            """,
            logger: logger
        )
        try await Self.save(endpoint, changedFrom: before, connection, logger)
        endpoints[endpoint.id] = endpoint
        for event in events {
            _ = try await publish(event, connection)
            switch AlertKind(rawValue: event.type) {
            case .endpointDisabled:
                try await insertAlertMails(
                    .endpointDisabled,
                    organizationId: endpoint.organizationId,
                    endpoint: endpoint,
                    count: 1,
                    at: event.createdAt,
                    connection
                )
            case .deliveriesExhausted: try await alertDeliveryExhausted(endpoint, at: event.createdAt, connection)
            case .keyExpiring, .usageThreshold, nil: break
            }
        }
    }

    /// An attempt's row (its id is the table's own sequence).
    static func insertAttempt(_ attempt: WebhookAttemptRecord, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.run(
            """
            INSERT INTO webhook_attempts (delivery_id, attempted_at, duration_ms, status_code, error_kind, response_excerpt)
            VALUES (\(attempt.deliveryId), \(attempt.attemptedAt), \(attempt.durationMs), \(attempt.statusCode.map(Int64.init)),
                \(attempt.errorKind?.rawValue), \(attempt.responseExcerpt))
            """,
            logger: logger
        )
    }

    /// Adds one attempt to the hourly counts the dashboard and the console read.
    static func countAttempt(
        of delivery: WebhookDeliveryRecord,
        at attemptedAt: Int64,
        succeeded: Bool,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        let hour = attemptedAt - attemptedAt % 3_600_000
        let success: Int64 = succeeded ? 1 : 0
        try await connection.run(
            """
            INSERT INTO webhook_attempt_stats (organization_id, livemode, hour_start, succeeded, failed)
            VALUES (\(delivery.organizationId), \(delivery.livemode), \(hour), \(success), \(1 - success))
            ON CONFLICT (organization_id, livemode, hour_start) DO UPDATE SET succeeded = webhook_attempt_stats.succeeded + excluded.succeeded,
                failed = webhook_attempt_stats.failed + excluded.failed
            """,
            logger: logger
        )
    }

    package func webhookAttemptStats(scope: TenantScope, from: Int64, until: Int64) async throws -> (succeeded: Int64, failed: Int64) {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT coalesce(sum(succeeded), 0)::bigint, coalesce(sum(failed), 0)::bigint FROM webhook_attempt_stats
                WHERE organization_id = \(scope.organizationId) AND livemode = \(scope.livemode) AND hour_start >= \(from) AND hour_start < \(until)
                """,
                logger: logger
            )
            for try await (succeeded, failed) in rows.decode((Int64, Int64).self) { return (succeeded, failed) }
            return (0, 0)
        }
    }

    package func deliveryBacklog() async throws -> (owed: Int, oldestDueAt: Int64?) {
        try await read { connection in
            let rows = try await connection.rows(
                "SELECT count(*), min(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL",
                logger: logger
            )
            for try await (owed, oldest) in rows.decode((Int64, Int64?).self) { return (Int(owed), oldest) }
            return (0, nil)
        }
    }

    /// Deletes events made before `cutoff` with their deliveries and attempts, except those a delivery is still owed for.
    package func pruneEvents(before cutoff: Int64) async throws -> Int {
        let bound = Identifier.lowerBound("evt", at: cutoff)
        return try await write { connection in
            try await connection.run(
                """
                DELETE FROM events WHERE id < \(bound)
                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id AND d.next_attempt_at IS NOT NULL)
                """,
                logger: logger
            )
        }
    }
}
