import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Mail outbox

extension PostgresStore {
    package func insertMail(_ mail: MailRecord) async throws {
        try await write { connection in try await queueMail(mail, connection) }
    }

    /// Leases due mail; rows another instance is leasing at this moment are skipped
    /// (`SKIP LOCKED`), so two mailers never claim one mail.
    package func claimDueMail(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [MailRecord] {
        // Looked at first without a write: an idle mailer's look must not fail on a full disk.
        let due = try await read { connection in
            try await connection.value(
                Int64.self,
                """
                SELECT count(*) FROM mail_outbox
                WHERE status = 'queued' AND next_attempt_at <= \(now) AND (lease_until IS NULL OR lease_until <= \(now))
                """,
                logger: logger
            ) ?? 0
        }
        guard due > 0 else { return [] }
        return try await write { connection in
            try await connection.all(
                MailRecord.self,
                """
                UPDATE mail_outbox SET lease_until = \(leaseUntil) WHERE id IN (
                    SELECT id FROM mail_outbox
                    WHERE status = 'queued' AND next_attempt_at <= \(now) AND (lease_until IS NULL OR lease_until <= \(now))
                    ORDER BY next_attempt_at, id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
                RETURNING *
                """,
                logger: logger
            ).sorted { ($0.nextAttemptAt ?? 0, $0.id) < ($1.nextAttemptAt ?? 0, $1.id) }
        }
    }

    package func finishMail(id: String, outcome: MailOutcome) async throws {
        try await write { connection in
            switch outcome {
            case .sent(let at):
                try await connection.run(
                    """
                    UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, sent_at = \(at), next_attempt_at = NULL,
                        lease_until = NULL, last_error = NULL WHERE id = \(id)
                    """,
                    logger: logger
                )
            case .retry(let error, let retryAt):
                try await connection.run(
                    "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = \(retryAt), lease_until = NULL, last_error = \(error) WHERE id = \(id)",
                    logger: logger
                )
            case .failed(let error):
                try await connection.run(
                    """
                    UPDATE mail_outbox SET status = 'failed', attempts = attempts + 1, next_attempt_at = NULL, lease_until = NULL,
                        last_error = \(error) WHERE id = \(id)
                    """,
                    logger: logger
                )
            }
        }
    }

    package func mail(id: String) async throws -> MailRecord? {
        try await read { connection in try await connection.one(MailRecord.self, "SELECT * FROM mail_outbox WHERE id = \(id)", logger: logger) }
    }

    package func mails(status: MailRecord.Status?, recipient: String?, page: PageRequest) async throws -> Page<MailRecord> {
        // Recipients are stored as "a@x, b@y": an exact address, not a substring of another.
        let needle = recipient.map { ", " + $0.lowercased() + ", " }
        return try await read { connection in
            try await connection.page(
                MailRecord.self,
                from: "mail_outbox",
                where: """
                    (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                    AND (\(needle)::text IS NULL OR strpos(', ' || lower(recipients) || ', ', \(needle)) > 0)
                    """,
                page: page,
                logger: logger
            )
        }
    }

    package func nextMailDue() async throws -> Int64? {
        try await read { connection in
            try await connection.value(
                Int64?.self,
                "SELECT min(greatest(next_attempt_at, coalesce(lease_until, 0))) FROM mail_outbox WHERE status = 'queued'",
                logger: logger
            ) ?? nil
        }
    }
}
