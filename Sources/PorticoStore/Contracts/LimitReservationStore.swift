/// Rate limits shared by several instances on one database: capacity handed out
/// as reservations counted in one-second slots, which each instance then spends
/// on its own requests (`ClusterLimiter`, docs/scaling.md). Only PostgreSQL has
/// this; one SQLite instance sees every request and needs no sharing.
package protocol LimitReservationStore: Sendable {
    /// Reserves up to `want` of `limit` for `subject` in `slot` (seconds since the epoch),
    /// so that the reservations in the `window` slots ending at `slot` never add up to more
    /// than `limit`; returns how many were reserved, 0 when the limit is spent. Reservations
    /// of one subject are decided one at a time, whichever instance asks.
    func reserve(subject: String, slot: Int64, window: Int64, limit: Int64, want: Int64) async throws -> Int64
    /// Gives back reservations that were not spent, so other instances may have them.
    func release(_ unspent: [LimitReservation]) async throws
    /// Forgets the slots before `slot` (no window reaches back that far).
    func pruneLimitReservations(before slot: Int64) async throws
}

/// Some reservations of one subject in one slot.
package struct LimitReservation: Sendable, Hashable {
    package var subject: String
    package var slot: Int64
    package var count: Int64

    package init(subject: String, slot: Int64, count: Int64) {
        self.subject = subject
        self.slot = slot
        self.count = count
    }
}
