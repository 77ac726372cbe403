import Foundation
import GRDB
import PorticoCore

// MARK: - Alert mails, written in the transaction of what they are about

extension SQLiteStore: AlertStore {
    /// Writes `kind`'s mails about `organizationId` to its owners and admins, unless the
    /// organization turned that kind off, nobody would get them, or no app words them.
    func insertAlertMails(
        _ kind: AlertKind,
        organizationId: String,
        endpoint: WebhookEndpointRecord?,
        apiKey: APIKeyRecord? = nil,
        crossing: UsageThresholdCrossing? = nil,
        count: Int,
        at now: Int64,
        _ db: Database
    ) throws {
        guard let policy = configuration.policy,
            let organization = try OrganizationRecord.fetchOne(db, key: organizationId),
            organization.notifications.mails(kind)
        else { return }
        let recipients = try String.fetchAll(
            db,
            sql: """
                SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
                WHERE m.organization_id = ? AND m.role IN ('owner', 'admin') AND u.email_verified_at IS NOT NULL ORDER BY u.email
                """,
            arguments: [organizationId]
        )
        guard !recipients.isEmpty else { return }
        let request = AlertMailRequest(
            kind: kind,
            organization: organization,
            recipients: recipients,
            endpoint: endpoint,
            apiKey: apiKey,
            crossing: crossing,
            count: count,
            at: now
        )
        for mail in policy.alertMails(request) { try insertMailInTransaction(mail, db) }
    }

    /// An exhausted delivery to `endpoint`: mailed at once when the endpoint's last such mail is
    /// an hour old or there was none (with any held back), else held back for the digest.
    func alertDeliveryExhausted(_ endpoint: WebhookEndpointRecord, at now: Int64, _ db: Database) throws {
        let row = try Row.fetchOne(
            db,
            sql: "SELECT last_mailed_at, pending FROM endpoint_alert_digests WHERE endpoint_id = ?",
            arguments: [endpoint.id]
        )
        let last: Int64? = row?["last_mailed_at"]
        let pending: Int = row?["pending"] ?? 0
        if let last, now - last < AlertKind.digestInterval {
            try db.execute(sql: "UPDATE endpoint_alert_digests SET pending = pending + 1 WHERE endpoint_id = ?", arguments: [endpoint.id])
            return
        }
        try insertAlertMails(.deliveriesExhausted, organizationId: endpoint.organizationId, endpoint: endpoint, count: pending + 1, at: now, db)
        try db.execute(
            sql: """
                INSERT INTO endpoint_alert_digests (endpoint_id, last_mailed_at, pending) VALUES (?, ?, 0)
                ON CONFLICT (endpoint_id) DO UPDATE SET last_mailed_at = excluded.last_mailed_at, pending = 0
                """,
            arguments: [endpoint.id, now]
        )
    }

    package func sendDueAlertDigests(now: Int64) async throws -> Int {
        try await writeTransaction { db in
            let due = try Row.fetchAll(
                db,
                sql: """
                    SELECT endpoint_id, pending FROM endpoint_alert_digests INDEXED BY endpoint_alert_digests_due
                    WHERE pending > 0 AND last_mailed_at <= ? ORDER BY last_mailed_at
                    """,
                arguments: [now - AlertKind.digestInterval]
            )
            var sent = 0
            for row in due {
                let id: String = row["endpoint_id"]
                guard let endpoint = try WebhookEndpointRecord.fetchOne(db, key: id) else { continue }
                try self.insertAlertMails(
                    .deliveriesExhausted,
                    organizationId: endpoint.organizationId,
                    endpoint: endpoint,
                    count: row["pending"],
                    at: now,
                    db
                )
                try db.execute(sql: "UPDATE endpoint_alert_digests SET last_mailed_at = ?, pending = 0 WHERE endpoint_id = ?", arguments: [now, id])
                sent += 1
            }
            return sent
        }
    }

    package func nextAlertDigestDue() async throws -> Int64? {
        try await read { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT min(last_mailed_at) FROM endpoint_alert_digests INDEXED BY endpoint_alert_digests_due WHERE pending > 0"
            ).map { $0 + AlertKind.digestInterval }
        }
    }

    package func recordStaffDigest(dayStart: Int64, problems: Int, mails: [MailRecord], at now: Int64) async throws -> Bool {
        try await writeTransaction { db in
            try db.execute(
                sql: "INSERT INTO staff_digests (day_start, sent_at, problems) VALUES (?, ?, ?) ON CONFLICT (day_start) DO NOTHING",
                arguments: [dayStart, now, problems]
            )
            guard db.changesCount == 1 else { return false }
            for mail in mails { try self.insertMailInTransaction(mail, db) }
            return true
        }
    }

    package func staffDigestRecorded(dayStart: Int64) async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM staff_digests WHERE day_start = ?", arguments: [dayStart]) ?? false }
    }

    package func announceExpiringKeys(now: Int64, event: @escaping @Sendable (APIKeyRecord) -> EventRecord?) async throws -> Int {
        try await writeTransaction { db in
            let keys = try APIKeyRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM api_keys INDEXED BY api_keys_expiring
                    WHERE expires_at IS NOT NULL AND expiry_alerted_at IS NULL AND expires_at > ? AND expires_at <= ?
                        AND revoked_at IS NULL AND rolled_to_id IS NULL
                    ORDER BY expires_at
                    """,
                arguments: [now, now + AlertKind.keyExpiryNotice]
            )
            for key in keys {
                if let announcement = event(key) { _ = try self.publish(announcement, in: db) }
                try self.insertAlertMails(.keyExpiring, organizationId: key.organizationId, endpoint: nil, apiKey: key, count: 1, at: now, db)
                try db.execute(sql: "UPDATE api_keys SET expiry_alerted_at = ? WHERE id = ?", arguments: [now, key.id])
            }
            return keys.count
        }
    }
}

// MARK: - Quota thresholds

extension SQLiteStore {
    /// Adds `usage` to its period counters (the month; the day too for requests) and, for each
    /// counter whose quota (`StorePolicy.quotas`) it takes past a threshold not yet announced,
    /// publishes `usage.threshold_reached` and writes its alert mails.
    func addToPeriods(_ usage: [UsageIncrement: Int64], in db: Database) throws {
        let totals = UsagePeriods.totals(usage)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO usage_periods (organization_id, livemode, metric, period, period_start, quantity) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (organization_id, livemode, metric, period, period_start) DO UPDATE SET quantity = quantity + excluded.quantity
                RETURNING quantity, alerted
                """
        )
        var organizations: [String: OrganizationRecord?] = [:]
        for (key, quantity) in totals {
            guard let row = try Row.fetchOne(upsert, arguments: [key.organizationId, key.livemode, key.metric, key.period.name, key.start, quantity])
            else { continue }
            let total: Int64 = row["quantity"]
            let alerted: Int = row["alerted"]
            // A period whose last threshold is announced needs no quota, nor its organization read, again.
            guard let policy = configuration.policy, !UsagePeriods.fullyAnnounced(alerted) else { continue }
            if organizations[key.organizationId] == nil {
                organizations[key.organizationId] = try OrganizationRecord.fetchOne(db, key: key.organizationId)
            }
            guard let organization = organizations[key.organizationId] ?? nil,
                let quota = policy.quotas(of: organization, livemode: key.livemode, metric: key.metric).first(where: { $0.period == key.period })
            else { continue }
            let (reached, crossings) = UsagePeriods.crossings(of: key, total: total, alerted: alerted, quota: quota)
            guard !crossings.isEmpty else { continue }
            let now = policy.now
            for crossing in crossings {
                if let event = policy.thresholdEvent(crossing, at: now) { _ = try publish(event, in: db) }
                try insertAlertMails(.usageThreshold, organizationId: key.organizationId, endpoint: nil, crossing: crossing, count: 1, at: now, db)
            }
            try db.execute(
                sql:
                    "UPDATE usage_periods SET alerted = ? WHERE organization_id = ? AND livemode = ? AND metric = ? AND period = ? AND period_start = ?",
                arguments: [reached, key.organizationId, key.livemode, key.metric, key.period.name, key.start]
            )
        }
    }
}
