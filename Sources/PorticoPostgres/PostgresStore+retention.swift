import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Retention

extension PostgresStore {
    /// Rows deleted per transaction: a large backlog is cleared in many short transactions.
    static let retentionBatch = 2_000

    /// Deletes the rows of `table` matching `condition` (its `$n` placeholders bound by
    /// `bindings`), `retentionBatch` at a time, each batch its own transaction; returns how
    /// many. `key` is the primary key's columns, comma-separated. Rows another transaction
    /// holds are skipped this time (`SKIP LOCKED`): instances pruning at once share the work.
    func deleteInBatches(from table: String, key: String, where condition: String, _ bindings: PostgresBindings) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await write { connection in
                try await connection.run(
                    PostgresQuery(
                        unsafeSQL: """
                            DELETE FROM \(table) WHERE (\(key)) IN (
                                SELECT \(key) FROM \(table) WHERE \(condition) LIMIT \(Self.retentionBatch) FOR UPDATE SKIP LOCKED)
                            """,
                        binds: bindings
                    ),
                    logger: logger
                )
            }
            total += deleted
            if deleted < Self.retentionBatch { return total }
        }
    }

    package func pruneDeliveries(finishedBefore cutoff: Int64) async throws -> Int {
        try await deleteInBatches(
            from: "webhook_deliveries",
            key: "id",
            where: "id < $1 AND status IN ('succeeded', 'dead') AND next_attempt_at IS NULL",
            Self.bindings(Identifier.lowerBound("whd", at: cutoff))
        )
    }

    package func pruneAuditEntries(before cutoff: Int64) async throws -> Int {
        try await deleteInBatches(from: "audit_log", key: "id", where: "id < $1", Self.bindings(Identifier.lowerBound("aud", at: cutoff)))
    }

    package func pruneMail(before cutoff: Int64) async throws -> Int {
        try await deleteInBatches(from: "mail_outbox", key: "id", where: "id < $1", Self.bindings(Identifier.lowerBound("mail", at: cutoff)))
    }

    package func pruneStaffSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        try await pruneSessions(in: "staff_sessions", idleBefore: idleBefore, createdBefore: createdBefore)
    }

    package func pruneExpiredLinks(now: Int64) async throws -> Int {
        let resets = try await deleteInBatches(from: "password_resets", key: "token_hash", where: "expires_at < $1", Self.bindings(now))
        let confirmations = try await deleteInBatches(from: "email_confirmations", key: "token_hash", where: "expires_at < $1", Self.bindings(now))
        let invitations = try await deleteInBatches(from: "invitations", key: "id", where: "expires_at < $1", Self.bindings(now))
        return resets + confirmations + invitations
    }
}

// MARK: - Sample data

extension PostgresStore {
    package func insertSampleHistory(_ history: SampleHistory) async throws {
        try await write { connection in
            if let organization = history.organizationCreatedAt {
                try await connection.run("UPDATE organizations SET created_at = \(organization.at) WHERE id = \(organization.id)", logger: logger)
            }
            for customer in history.customers { try await connection.insert(customer, logger: logger) }
            for endpoint in history.endpoints { try await connection.insert(endpoint, logger: logger) }
            for event in history.events { try await connection.insert(event, logger: logger) }
            for delivery in history.deliveries { try await connection.insert(delivery, logger: logger) }
            let deliveries = Dictionary(history.deliveries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for attempt in history.attempts {
                try await Self.insertAttempt(attempt, connection, logger)
                guard let delivery = deliveries[attempt.deliveryId] else { continue }
                try await Self.countAttempt(of: delivery, at: attempt.attemptedAt, succeeded: attempt.errorKind == nil, connection, logger)
            }
        }
        if history.deliveries.contains(where: { $0.nextAttemptAt != nil }) { deliveriesQueued.fire() }
    }
}
