import Foundation
import GRDB
import PorticoCore

// MARK: - Mail outbox

extension SQLiteStore {
    package func insertMail(_ mail: MailRecord) async throws {
        try await writeTransaction { db in try self.insertMailInTransaction(mail, db) }
    }

    /// Queues a mail inside another write's transaction (the change that causes it), waking the mailer once it commits.
    package func insertMailInTransaction(_ mail: MailRecord, _ db: Database) throws {
        try mail.insert(db)
        db.afterNextTransaction { [mailQueued = self.mailQueued] _ in mailQueued.fire() }
    }

    package func claimDueMail(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [MailRecord] {
        // Looked at first on a reader: an idle mailer's look is not a write (on a full disk it must not fail one).
        let due = try await read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT count(*) FROM mail_outbox INDEXED BY mail_outbox_due WHERE status = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)",
                arguments: [now, now]
            ) ?? 0
        }
        guard due > 0 else { return [] }
        return try await writeTransaction { db in
            let mails = try MailRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM mail_outbox INDEXED BY mail_outbox_due
                    WHERE status = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                    ORDER BY next_attempt_at, id LIMIT ?
                    """,
                arguments: [now, now, limit]
            )
            for mail in mails {
                try db.execute(sql: "UPDATE mail_outbox SET lease_until = ? WHERE id = ?", arguments: [leaseUntil, mail.id])
            }
            return mails.map { mail in
                var leased = mail
                leased.leaseUntil = leaseUntil
                return leased
            }
        }
    }

    package func finishMail(id: String, outcome: MailOutcome) async throws {
        try await writeTransaction { db in
            switch outcome {
            case .sent(let at):
                try db.execute(
                    sql:
                        "UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, next_attempt_at = NULL, lease_until = NULL, last_error = NULL WHERE id = ?",
                    arguments: [at, id]
                )
            case .retry(let error, let retryAt):
                try db.execute(
                    sql: "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ?",
                    arguments: [retryAt, error, id]
                )
            case .failed(let error):
                try db.execute(
                    sql:
                        "UPDATE mail_outbox SET status = 'failed', attempts = attempts + 1, next_attempt_at = NULL, lease_until = NULL, last_error = ? WHERE id = ?",
                    arguments: [error, id]
                )
            }
        }
    }

    package func mail(id: String) async throws -> MailRecord? {
        try await read { db in try MailRecord.fetchOne(db, key: id) }
    }

    package func mails(status: MailRecord.Status?, recipient: String?, page: PageRequest) async throws -> Page<MailRecord> {
        try await read { db in
            var request = MailRecord.all()
            if let status { request = request.filter(Column("status") == status.rawValue) }
            if let recipient {
                // Recipients are stored as "a@x, b@y": an exact address, not a substring of another.
                request = request.filter(
                    sql: "(', ' || lower(recipients) || ', ') LIKE ? ESCAPE '\\'",
                    arguments: ["%, " + Self.likeEscaped(recipient.lowercased()) + ", %"]
                )
            }
            return try request.page(page, id: Column("id"), db: db)
        }
    }

    package func nextMailDue() async throws -> Int64? {
        try await read { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT min(max(next_attempt_at, coalesce(lease_until, 0))) FROM mail_outbox INDEXED BY mail_outbox_due WHERE status = 'queued'"
            )
        }
    }

    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
