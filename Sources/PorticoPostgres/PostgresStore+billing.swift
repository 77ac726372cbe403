import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

extension SigningKeyRecord: StoredRecord { static let table = "gateway_signing_keys" }
extension PlatformKeyRecord: StoredRecord { static let table = "platform_keys" }
extension UsageRecord: StoredRecord { static let table = "usage_records" }

// MARK: - Usage and invoices

extension PostgresStore {
    package func usage(scope: TenantScope, from: Int64, until: Int64, metric: String?, keyId: String?) async throws -> [UsageRow] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT hour_start, metric, key_id, quantity FROM usage_buckets
                WHERE organization_id = \(scope.organizationId) AND livemode = \(scope.livemode) AND hour_start >= \(from) AND hour_start < \(until)
                AND (\(metric)::text IS NULL OR metric = \(metric)) AND (\(keyId)::text IS NULL OR key_id = \(keyId))
                ORDER BY hour_start
                """,
                logger: logger
            )
            var usage: [UsageRow] = []
            for try await (hour, metric, key, quantity) in rows.decode((Int64, String, String, Int64).self) {
                usage.append(UsageRow(hourStart: hour, metric: metric, keyId: key, quantity: quantity))
            }
            return usage
        }
    }

    package func usageTotal(scope: TenantScope, metric: String, from: Int64, until: Int64) async throws -> Int64 {
        try await read { connection in
            try await Self.usageTotal(CommittedUsage(scope: scope, metric: metric, from: from, until: until), connection, logger)
        }
    }

    static func usageTotal(_ usage: CommittedUsage, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        try await connection.value(
            Int64.self,
            """
            SELECT coalesce(sum(quantity), 0)::bigint FROM usage_buckets
            WHERE organization_id = \(usage.scope.organizationId) AND livemode = \(usage.scope.livemode)
            AND hour_start >= \(usage.from) AND hour_start < \(usage.until) AND metric = \(usage.metric)
            """,
            logger: logger
        ) ?? 0
    }

    package func usageTotals(metric: String, from: Int64, until: Int64) async throws -> [TenantScope: Int64] {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT organization_id, livemode, sum(quantity)::bigint FROM usage_buckets
                WHERE hour_start >= \(from) AND hour_start < \(until) AND metric = \(metric) GROUP BY organization_id, livemode
                """,
                logger: logger
            )
            var totals: [TenantScope: Int64] = [:]
            for try await (organizationId, livemode, total) in rows.decode((String, Bool, Int64).self) {
                totals[TenantScope(organizationId: organizationId, livemode: livemode)] = total
            }
            return totals
        }
    }

    package func insertInvoicesIfAbsent(_ invoices: [InvoiceRecord]) async throws -> [InvoiceRecord] {
        try await write { connection in
            var inserted: [InvoiceRecord] = []
            for invoice in invoices {
                guard try await connection.insert(invoice, suffix: "ON CONFLICT DO NOTHING", logger: logger) > 0 else { continue }
                inserted.append(invoice)
                if invoice.livemode {
                    try await connection.run(
                        """
                        INSERT INTO revenue_months VALUES (\(invoice.periodStart), \(invoice.plan), \(invoice.currency), 1, \(invoice.baseAmount),
                            \(invoice.overageAmount), \(invoice.total))
                        ON CONFLICT (period_start, plan, currency) DO UPDATE SET invoices = revenue_months.invoices + 1,
                            base_amount = revenue_months.base_amount + excluded.base_amount,
                            overage_amount = revenue_months.overage_amount + excluded.overage_amount, total = revenue_months.total + excluded.total
                        """,
                        logger: logger
                    )
                }
            }
            return inserted
        }
    }

    package func invoice(id: String, scope: TenantScope) async throws -> InvoiceRecord? {
        try await read { connection in
            try await connection.one(
                InvoiceRecord.self,
                "SELECT * FROM invoices WHERE id = \(id) AND organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                logger: logger
            )
        }
    }

    package func invoices(scope: TenantScope, page: PageRequest) async throws -> Page<InvoiceRecord> {
        try await read { connection in
            try await connection.page(
                InvoiceRecord.self,
                from: "invoices",
                where: "organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                page: page,
                logger: logger
            )
        }
    }
}

// MARK: - Usage counters and quota thresholds

extension PostgresStore {
    /// Adds to the hourly buckets and the period counters, and announces the quota thresholds
    /// this reaches (inside the caller's transaction). Rows are touched in a fixed order, so
    /// two instances adding to the same counters wait for each other instead of deadlocking.
    func addUsage(_ usage: [UsageIncrement: Int64], _ connection: PostgresConnection) async throws {
        let ordered = usage.sorted {
            ($0.key.organizationId, $0.key.livemode ? 1 : 0, $0.key.hourStart, $0.key.metric, $0.key.keyId)
                < ($1.key.organizationId, $1.key.livemode ? 1 : 0, $1.key.hourStart, $1.key.metric, $1.key.keyId)
        }
        for (bucket, quantity) in ordered {
            try await connection.run(
                """
                INSERT INTO usage_buckets (organization_id, livemode, hour_start, metric, key_id, quantity)
                VALUES (\(bucket.organizationId), \(bucket.livemode), \(bucket.hourStart), \(bucket.metric), \(bucket.keyId), \(quantity))
                ON CONFLICT (organization_id, livemode, hour_start, metric, key_id) DO UPDATE SET quantity = usage_buckets.quantity + excluded.quantity
                """,
                logger: logger
            )
        }
        try await addToPeriods(usage, connection)
    }

    private func addToPeriods(_ usage: [UsageIncrement: Int64], _ connection: PostgresConnection) async throws {
        let totals = UsagePeriods.totals(usage)
        var organizations: [String: OrganizationRecord?] = [:]
        for (key, quantity) in totals.sorted(by: { $0.key < $1.key }) {
            let rows = try await connection.rows(
                """
                INSERT INTO usage_periods (organization_id, livemode, metric, period, period_start, quantity)
                VALUES (\(key.organizationId), \(key.livemode), \(key.metric), \(key.period.name), \(key.start), \(quantity))
                ON CONFLICT (organization_id, livemode, metric, period, period_start) DO UPDATE SET quantity = usage_periods.quantity + excluded.quantity
                RETURNING quantity, alerted
                """,
                logger: logger
            )
            var total: Int64 = 0
            var alerted = 0
            for try await (sum, announced) in rows.decode((Int64, Int64).self) {
                total = sum
                alerted = Int(announced)
            }
            guard let policy, !UsagePeriods.fullyAnnounced(alerted) else { continue }
            if organizations[key.organizationId] == nil {
                organizations[key.organizationId] = try await connection.one(
                    OrganizationRecord.self,
                    "SELECT * FROM organizations WHERE id = \(key.organizationId)",
                    logger: logger
                )
            }
            guard let organization = organizations[key.organizationId] ?? nil,
                let quota = policy.quotas(of: organization, livemode: key.livemode, metric: key.metric).first(where: { $0.period == key.period })
            else { continue }
            let (reached, crossings) = UsagePeriods.crossings(of: key, total: total, alerted: alerted, quota: quota)
            guard !crossings.isEmpty else { continue }
            let now = policy.now
            for crossing in crossings {
                if let event = policy.thresholdEvent(crossing, at: now) { _ = try await publish(event, connection) }
                try await insertAlertMails(
                    .usageThreshold,
                    organizationId: key.organizationId,
                    endpoint: nil,
                    crossing: crossing,
                    count: 1,
                    at: now,
                    connection
                )
            }
            try await connection.run(
                """
                UPDATE usage_periods SET alerted = \(Int64(reached)) WHERE organization_id = \(key.organizationId) AND livemode = \(key.livemode)
                AND metric = \(key.metric) AND period = \(key.period.name) AND period_start = \(key.start)
                """,
                logger: logger
            )
        }
    }
}

// MARK: - Platform keys, recorded usage and gateway signing keys

extension PostgresStore {
    package func insertPlatformKey(_ key: PlatformKeyRecord, audit: AuditEntryRecord) async throws {
        try await write { connection in
            try await connection.insert(key, logger: logger)
            try await connection.insert(audit, logger: logger)
            Self.afterCommit?.note(.keys)
        }
    }

    package func platformKey(secretHash hash: Data) async throws -> PlatformKeyRecord? {
        try await read { connection in
            try await connection.one(PlatformKeyRecord.self, "SELECT * FROM platform_keys WHERE secret_hash = \(hash)", logger: logger)
        }
    }

    package func platformKeys() async throws -> [PlatformKeyRecord] {
        try await read { connection in
            try await connection.all(PlatformKeyRecord.self, "SELECT * FROM platform_keys ORDER BY created_at DESC, id DESC", logger: logger)
        }
    }

    package func revokePlatformKey(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> PlatformKeyRecord? {
        try await write { connection -> PlatformKeyRecord? in
            guard
                var key = try await connection.one(PlatformKeyRecord.self, "SELECT * FROM platform_keys WHERE id = \(id) FOR UPDATE", logger: logger)
            else {
                return nil
            }
            guard key.revokedAt == nil else { return key }
            key.revokedAt = now
            key.updatedAt = now
            try await connection.update(key, logger: logger)
            Self.afterCommit?.note(.keys)
            try await connection.insert(audit, logger: logger)
            return key
        }
    }

    package func recordUsage(
        _ record: UsageRecord,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<UsageRecord>?
    ) async throws -> (record: UsageRecord, created: Bool) {
        let outcome = try await write(completing: completion?.pullback { (outcome: RecordedUsage) in outcome.record }) {
            connection -> RecordedUsage in
            // A retry with the same key waits for the first to commit, then finds its row.
            guard
                try await connection.insert(record, suffix: "ON CONFLICT (organization_id, livemode, idempotency_key) DO NOTHING", logger: logger) > 0
            else {
                let existing = try await connection.one(
                    UsageRecord.self,
                    """
                    SELECT * FROM usage_records WHERE organization_id = \(record.organizationId) AND livemode = \(record.livemode)
                    AND idempotency_key = \(record.idempotencyKey)
                    """,
                    logger: logger
                )
                return RecordedUsage(record: existing ?? record, created: false)
            }
            let bucket = UsageIncrement(
                organizationId: record.organizationId,
                livemode: record.livemode,
                hourStart: record.timestamp - record.timestamp % 3_600_000,
                metric: record.metric,
                keyId: ""
            )
            try await self.addUsage([bucket: record.quantity], connection)
            try await connection.insert(audit, logger: logger)
            return RecordedUsage(record: record, created: true)
        }
        return (outcome.record, outcome.created)
    }

    private struct RecordedUsage: Sendable {
        var record: UsageRecord
        var created: Bool
    }

    package func signingKeys(now: Int64) async throws -> [SigningKeyRecord] {
        try await read { connection in
            try await connection.all(
                SigningKeyRecord.self,
                "SELECT * FROM gateway_signing_keys WHERE retires_at IS NULL OR retires_at > \(now) ORDER BY created_at DESC, id DESC",
                logger: logger
            )
        }
    }

    @discardableResult
    package func addSigningKey(_ key: SigningKeyRecord, retireOthersAt: Int64, onlyIfNone: Bool) async throws -> Bool {
        try await write { connection in
            // Two instances starting at once must not both add a first key.
            try await connection.run("LOCK TABLE gateway_signing_keys IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            let signing =
                try await connection.value(Int64.self, "SELECT count(*) FROM gateway_signing_keys WHERE retires_at IS NULL", logger: logger) ?? 0
            if onlyIfNone, signing > 0 { return false }
            try await connection.run("UPDATE gateway_signing_keys SET retires_at = \(retireOthersAt) WHERE retires_at IS NULL", logger: logger)
            try await connection.insert(key, logger: logger)
            return true
        }
    }
}
