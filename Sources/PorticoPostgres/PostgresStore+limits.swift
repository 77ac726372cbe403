import PorticoStore
import PostgresNIO

/// Shared rate limits and quotas: `rate_limit_slots` holds, per subject and slot, how
/// much of the limit the instances have reserved, and until when it matters.
extension PostgresStore: LimitReservationStore {
    /// The advisory lock space of subjects (the two-key form never meets the one-key locks of
    /// migrations and request logs).
    private static let subjectLockSpace: Int32 = 0x706c  // "pl"

    package func reserve(subject: String, slot: Int64, window: Int64, limit: Int64, want: Int64) async throws -> Int64 {
        try await write { connection in
            // One decision at a time per subject: the sum below and the insert after it are one step.
            // Every window holding `slot` is counted, those ending after it too: a reservation
            // for a second just past (a request that waited) must not overfill a later window.
            try await Self.lock(subject, connection, logger)
            let reserved =
                try await connection.value(
                    Int64.self,
                    """
                    SELECT COALESCE(sum(reserved), 0)::bigint FROM rate_limit_slots
                    WHERE subject = \(subject) AND slot > \(slot - window) AND slot < \(slot + window)
                    """,
                    logger: logger
                ) ?? 0
            let granted = max(0, min(want, limit - reserved))
            guard granted > 0 else { return 0 }
            try await connection.run(
                """
                INSERT INTO rate_limit_slots (subject, slot, reserved, expires_at) VALUES (\(subject), \(slot), \(granted), \(slot + window))
                ON CONFLICT (subject, slot) DO UPDATE SET reserved = rate_limit_slots.reserved + EXCLUDED.reserved
                """,
                logger: logger
            )
            return granted
        }
    }

    package func reserve(quota subject: String, slot: Int64, quota: Int64, want: Int64, committed: CommittedUsage) async throws -> Int64 {
        try await write { connection in
            try await Self.lock(subject, connection, logger)
            let held = try await connection.value(
                Int64.self,
                "SELECT reserved FROM rate_limit_slots WHERE subject = \(subject) AND slot = \(slot)",
                logger: logger
            )
            // The period's first reservation starts from what was used before it, read once.
            var reserved = held ?? 0
            if held == nil { reserved = try await Self.usageTotal(committed, connection, logger) }
            let granted = max(0, min(want, quota - reserved))
            if held == nil {
                try await connection.run(
                    """
                    INSERT INTO rate_limit_slots (subject, slot, reserved, expires_at)
                    VALUES (\(subject), \(slot), \(reserved + granted), \(committed.until / 1_000 + 60))
                    """,
                    logger: logger
                )
            } else if granted > 0 {
                try await connection.run(
                    "UPDATE rate_limit_slots SET reserved = reserved + \(granted) WHERE subject = \(subject) AND slot = \(slot)",
                    logger: logger
                )
            }
            return granted
        }
    }

    private static func lock(_ subject: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.run("SELECT pg_advisory_xact_lock(\(subjectLockSpace), hashtext(\(subject)))", logger: logger)
    }

    package func release(_ unspent: [LimitReservation]) async throws {
        guard !unspent.isEmpty else { return }
        var counts: [LimitSlotKey: Int64] = [:]
        for reservation in unspent { counts[LimitSlotKey(subject: reservation.subject, slot: reservation.slot), default: 0] += reservation.count }
        let keys = counts.keys.sorted { ($0.subject, $0.slot) < ($1.subject, $1.slot) }
        // One statement: all of it goes back, or none (and the caller tries again), never part twice.
        try await write { connection in
            try await connection.run(
                """
                UPDATE rate_limit_slots r SET reserved = GREATEST(r.reserved - v.count, 0)
                FROM unnest(\(keys.map(\.subject))::text[], \(keys.map(\.slot))::bigint[], \(keys.map { counts[$0]! })::bigint[]) AS v(subject, slot, count)
                WHERE r.subject = v.subject AND r.slot = v.slot
                """,
                logger: logger
            )
        }
    }

    private struct LimitSlotKey: Hashable {
        var subject: String
        var slot: Int64
    }

    package func countUsage(_ entries: [SharedUsage]) async throws -> [Int64] {
        guard !entries.isEmpty else { return [] }
        var added: [LimitSlotKey: Int64] = [:]
        var committed: [LimitSlotKey: CommittedUsage] = [:]
        for entry in entries {
            let key = LimitSlotKey(subject: entry.subject, slot: entry.slot)
            added[key, default: 0] += entry.quantity
            committed[key] = entry.committed
        }
        let keys = added.keys.sorted { ($0.subject, $0.slot) < ($1.subject, $1.slot) }
        let adding = keys.filter { added[$0] != 0 }
        let reading = keys.filter { added[$0] == 0 }
        let totals = try await write { connection in
            var totals: [LimitSlotKey: Int64] = [:]
            if !adding.isEmpty {
                // Rows locked in one order on every instance, so adders wait instead of deadlocking.
                try await connection.run(
                    """
                    SELECT 1 FROM rate_limit_slots r
                    JOIN unnest(\(adding.map(\.subject))::text[], \(adding.map(\.slot))::bigint[]) AS v(subject, slot)
                      ON r.subject = v.subject AND r.slot = v.slot
                    ORDER BY r.subject, r.slot FOR UPDATE OF r
                    """,
                    logger: logger
                )
                let rows = try await connection.rows(
                    """
                    UPDATE rate_limit_slots r SET reserved = r.reserved + v.added
                    FROM unnest(\(adding.map(\.subject))::text[], \(adding.map(\.slot))::bigint[], \(adding.map { added[$0]! })::bigint[])
                      AS v(subject, slot, added)
                    WHERE r.subject = v.subject AND r.slot = v.slot
                    RETURNING r.subject, r.slot, r.reserved
                    """,
                    logger: logger
                )
                for try await (subject, slot, reserved) in rows.decode((String, Int64, Int64).self) {
                    totals[LimitSlotKey(subject: subject, slot: slot)] = reserved
                }
            }
            if !reading.isEmpty {
                let rows = try await connection.rows(
                    """
                    SELECT r.subject, r.slot, r.reserved FROM rate_limit_slots r
                    JOIN unnest(\(reading.map(\.subject))::text[], \(reading.map(\.slot))::bigint[]) AS v(subject, slot)
                      ON r.subject = v.subject AND r.slot = v.slot
                    """,
                    logger: logger
                )
                for try await (subject, slot, reserved) in rows.decode((String, Int64, Int64).self) {
                    totals[LimitSlotKey(subject: subject, slot: slot)] = reserved
                }
            }
            // A period no instance had counted: started from its committed usage, which is taken
            // to hold what is being added with it (counted twice, it would refuse early). An
            // instance starting it at the same moment adds to the row the first one inserted.
            for key in keys where totals[key] == nil {
                let usage = committed[key]!
                let start = try await Self.usageTotal(usage, connection, logger)
                totals[key] = try await connection.value(
                    Int64.self,
                    """
                    INSERT INTO rate_limit_slots (subject, slot, reserved, expires_at)
                    VALUES (\(key.subject), \(key.slot), \(start), \(usage.until / 1_000 + 60))
                    ON CONFLICT (subject, slot) DO UPDATE SET reserved = rate_limit_slots.reserved + \(added[key]!)
                    RETURNING reserved
                    """,
                    logger: logger
                )
            }
            return totals
        }
        return entries.map { totals[LimitSlotKey(subject: $0.subject, slot: $0.slot)] ?? 0 }
    }

    package func pruneLimitReservations(now: Int64) async throws {
        _ = try await read { connection in try await connection.run("DELETE FROM rate_limit_slots WHERE expires_at < \(now)", logger: logger) }
    }
}
