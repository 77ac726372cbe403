import PorticoStore
import PostgresNIO

/// Shared rate limits: `rate_limit_slots` holds, per subject and second, how much
/// of the limit the instances have reserved.
extension PostgresStore: LimitReservationStore {
    /// The advisory lock space of subjects (the two-key form never meets the one-key locks of
    /// migrations and request logs).
    private static let subjectLockSpace: Int32 = 0x706c  // "pl"

    package func reserve(subject: String, slot: Int64, window: Int64, limit: Int64, want: Int64) async throws -> Int64 {
        try await write { connection in
            // One decision at a time per subject: the sum below and the insert after it are one step.
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.subjectLockSpace), hashtext(\(subject)))", logger: logger)
            let reserved =
                try await connection.value(
                    Int64.self,
                    """
                    SELECT COALESCE(sum(reserved), 0)::bigint FROM rate_limit_slots
                    WHERE subject = \(subject) AND slot > \(slot - window) AND slot <= \(slot)
                    """,
                    logger: logger
                ) ?? 0
            let granted = max(0, min(want, limit - reserved))
            guard granted > 0 else { return 0 }
            try await connection.run(
                """
                INSERT INTO rate_limit_slots (subject, slot, reserved) VALUES (\(subject), \(slot), \(granted))
                ON CONFLICT (subject, slot) DO UPDATE SET reserved = rate_limit_slots.reserved + EXCLUDED.reserved
                """,
                logger: logger
            )
            return granted
        }
    }

    package func release(_ unspent: [LimitReservation]) async throws {
        guard !unspent.isEmpty else { return }
        // One statement each, outside a transaction: a release waits for no other row's lock.
        _ = try await read { connection in
            for reservation in unspent {
                try await connection.run(
                    """
                    UPDATE rate_limit_slots SET reserved = GREATEST(reserved - \(reservation.count), 0)
                    WHERE subject = \(reservation.subject) AND slot = \(reservation.slot)
                    """,
                    logger: logger
                )
            }
            return 0
        }
    }

    package func pruneLimitReservations(before slot: Int64) async throws {
        _ = try await read { connection in try await connection.run("DELETE FROM rate_limit_slots WHERE slot < \(slot)", logger: logger) }
    }
}
