import PorticoCore

/// Deleting what has outlived its retention period (`RetentionPolicy`); the
/// daily retention job calls each, with the events' `WebhookStore.pruneEvents`,
/// `SessionStore.pruneSessions` and `IdempotencyStore.pruneIdempotencyKeys`.
/// Each deletes a few thousand rows per transaction, so a large backlog never
/// holds the writer for long; each returns how many rows it deleted.
package protocol RetentionStore: Sendable {
    /// Deliveries of events made before `cutoff` that are finished (succeeded, or
    /// dead after their last retry), with their attempts; pending ones stay.
    func pruneDeliveries(finishedBefore cutoff: Int64) async throws -> Int
    /// Audit entries written before `cutoff`.
    func pruneAuditEntries(before cutoff: Int64) async throws -> Int
    /// Mails created before `cutoff`, whatever became of them (a mail is sent or has
    /// failed within hours; without a relay they stay queued for staff to read).
    func pruneMail(before cutoff: Int64) async throws -> Int
    /// Console sessions idle since `idleBefore` or created before `createdBefore`.
    func pruneStaffSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int
    /// Password-reset, address-confirmation and invitation links that expired before `now`.
    func pruneExpiredLinks(now: Int64) async throws -> Int
}
