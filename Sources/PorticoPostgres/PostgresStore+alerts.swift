import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Alert mails, written in the transaction of what they are about

extension PostgresStore {
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
        _ connection: PostgresConnection
    ) async throws {
        guard let policy,
            let organization = try await connection.one(
                OrganizationRecord.self,
                "SELECT * FROM organizations WHERE id = \(organizationId)",
                logger: logger
            ),
            organization.notifications.mails(kind)
        else { return }
        let recipients = try await connection.column(
            String.self,
            """
            SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.organization_id = \(organizationId) AND m.role IN ('owner', 'admin') AND u.email_verified_at IS NOT NULL
            ORDER BY u.email COLLATE "C"
            """,
            logger: logger
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
        for mail in policy.alertMails(request) {
            try await queueMail(mail, connection)
        }
    }

    /// An exhausted delivery to `endpoint`: mailed at once when the endpoint's last such mail
    /// is an hour old or there was none (with any held back), else held back for the digest.
    func alertDeliveryExhausted(_ endpoint: WebhookEndpointRecord, at now: Int64, _ connection: PostgresConnection) async throws {
        let rows = try await connection.rows(
            "SELECT last_mailed_at, pending FROM endpoint_alert_digests WHERE endpoint_id = \(endpoint.id) FOR UPDATE",
            logger: logger
        )
        var last: Int64?
        var pending: Int64 = 0
        for try await (mailed, held) in rows.decode((Int64, Int64).self) {
            last = mailed
            pending = held
        }
        if let last, now - last < AlertKind.digestInterval {
            try await connection.run("UPDATE endpoint_alert_digests SET pending = pending + 1 WHERE endpoint_id = \(endpoint.id)", logger: logger)
            return
        }
        try await insertAlertMails(
            .deliveriesExhausted,
            organizationId: endpoint.organizationId,
            endpoint: endpoint,
            count: Int(pending) + 1,
            at: now,
            connection
        )
        try await connection.run(
            """
            INSERT INTO endpoint_alert_digests (endpoint_id, last_mailed_at, pending) VALUES (\(endpoint.id), \(now), 0)
            ON CONFLICT (endpoint_id) DO UPDATE SET last_mailed_at = excluded.last_mailed_at, pending = 0
            """,
            logger: logger
        )
    }

    package func sendDueAlertDigests(now: Int64) async throws -> Int {
        try await write { connection in
            let rows = try await connection.rows(
                """
                SELECT endpoint_id, pending FROM endpoint_alert_digests
                WHERE pending > 0 AND last_mailed_at <= \(now - AlertKind.digestInterval) ORDER BY last_mailed_at FOR UPDATE SKIP LOCKED
                """,
                logger: logger
            )
            var due: [(String, Int64)] = []
            for try await row in rows.decode((String, Int64).self) { due.append(row) }
            var sent = 0
            for (id, pending) in due {
                guard
                    let endpoint = try await connection.one(
                        WebhookEndpointRecord.self,
                        "SELECT * FROM webhook_endpoints WHERE id = \(id)",
                        logger: logger
                    )
                else { continue }
                try await insertAlertMails(
                    .deliveriesExhausted,
                    organizationId: endpoint.organizationId,
                    endpoint: endpoint,
                    count: Int(pending),
                    at: now,
                    connection
                )
                try await connection.run(
                    "UPDATE endpoint_alert_digests SET last_mailed_at = \(now), pending = 0 WHERE endpoint_id = \(id)",
                    logger: logger
                )
                sent += 1
            }
            return sent
        }
    }

    package func nextAlertDigestDue() async throws -> Int64? {
        try await read { connection in
            let oldest = try await connection.value(
                Int64?.self,
                "SELECT min(last_mailed_at) FROM endpoint_alert_digests WHERE pending > 0",
                logger: logger
            )
            return (oldest ?? nil).map { $0 + AlertKind.digestInterval }
        }
    }

    package func recordStaffDigest(dayStart: Int64, problems: Int, mails: [MailRecord], at now: Int64) async throws -> Bool {
        let recorded = try await write { connection in
            let inserted = try await connection.run(
                "INSERT INTO staff_digests (day_start, sent_at, problems) VALUES (\(dayStart), \(now), \(Int64(problems))) ON CONFLICT (day_start) DO NOTHING",
                logger: logger
            )
            guard inserted == 1 else { return false }
            for mail in mails { try await queueMail(mail, connection) }
            return true
        }
        return recorded
    }

    package func staffDigestRecorded(dayStart: Int64) async throws -> Bool {
        try await read { connection in
            try await connection.value(Bool.self, "SELECT EXISTS (SELECT 1 FROM staff_digests WHERE day_start = \(dayStart))", logger: logger)
                ?? false
        }
    }

    package func announceExpiringKeys(now: Int64, event: @escaping @Sendable (APIKeyRecord) -> EventRecord?) async throws -> Int {
        try await write { connection in
            let keys = try await connection.all(
                APIKeyRecord.self,
                """
                SELECT * FROM api_keys
                WHERE expires_at IS NOT NULL AND expiry_alerted_at IS NULL AND expires_at > \(now) AND expires_at <= \(now + AlertKind.keyExpiryNotice)
                    AND revoked_at IS NULL AND rolled_to_id IS NULL
                ORDER BY expires_at FOR UPDATE SKIP LOCKED
                """,
                logger: logger
            )
            for key in keys {
                if let announcement = event(key) { _ = try await self.publish(announcement, connection) }
                try await insertAlertMails(
                    .keyExpiring,
                    organizationId: key.organizationId,
                    endpoint: nil,
                    apiKey: key,
                    count: 1,
                    at: now,
                    connection
                )
                try await connection.run("UPDATE api_keys SET expiry_alerted_at = \(now) WHERE id = \(key.id)", logger: logger)
            }
            return keys.count
        }
    }
}
