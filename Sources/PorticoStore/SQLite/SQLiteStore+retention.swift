import Foundation
import GRDB
import PorticoCore

// MARK: - Retention

extension SQLiteStore: RetentionStore {
    /// Rows deleted per transaction: a large backlog is cleared in many short
    /// transactions, so request-path writes wait milliseconds, not seconds.
    static let retentionBatch = 2_000

    /// Deletes the rows of `table` that match `condition`, `retentionBatch` at a
    /// time (each batch its own transaction); returns how many. `key` is the
    /// primary key's columns, comma-separated. Rows deleted by foreign-key
    /// cascades are not counted.
    func deleteInBatches(from table: String, key: String, where condition: String, _ arguments: [DatabaseValue]) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await writeTransaction { db in
                try db.execute(
                    sql: "DELETE FROM \(table) WHERE (\(key)) IN (SELECT \(key) FROM \(table) WHERE \(condition) LIMIT \(Self.retentionBatch))",
                    arguments: StatementArguments(arguments)
                )
                return db.changesCount
            }
            total += deleted
            if deleted < Self.retentionBatch { return total }
        }
    }

    package func pruneDeliveries(finishedBefore cutoff: Int64) async throws -> Int {
        try await deleteInBatches(
            from: "webhook_deliveries",
            key: "id",
            where: "id < ? AND status IN ('succeeded', 'dead') AND next_attempt_at IS NULL",
            [Identifier.lowerBound("whd", at: cutoff).databaseValue]
        )
    }

    package func pruneAuditEntries(before cutoff: Int64) async throws -> Int {
        try await deleteInBatches(from: "audit_log", key: "id", where: "id < ?", [Identifier.lowerBound("aud", at: cutoff).databaseValue])
    }

    package func pruneMail(before cutoff: Int64) async throws -> Int {
        try await deleteInBatches(
            from: "mail_outbox",
            key: "id",
            where: "id < ?",
            [Identifier.lowerBound("mail", at: cutoff).databaseValue]
        )
    }

    package func pruneStaffSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        try await pruneSessions(in: "staff_sessions", idleBefore: idleBefore, createdBefore: createdBefore)
    }

    /// One rule for both session tables (the dashboard's and the console's): idle or too old.
    func pruneSessions(in table: String, idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        try await deleteInBatches(
            from: table,
            key: "id_hash",
            where: "last_seen_at < ? OR created_at < ?",
            [idleBefore.databaseValue, createdBefore.databaseValue]
        )
    }

    package func pruneExpiredLinks(now: Int64) async throws -> Int {
        let resets = try await deleteInBatches(from: "password_resets", key: "token_hash", where: "expires_at < ?", [now.databaseValue])
        let confirmations = try await deleteInBatches(from: "email_confirmations", key: "token_hash", where: "expires_at < ?", [now.databaseValue])
        let invitations = try await deleteInBatches(from: "invitations", key: "id", where: "expires_at < ?", [now.databaseValue])
        return resets + confirmations + invitations
    }
}
