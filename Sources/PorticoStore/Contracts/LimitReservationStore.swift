import PorticoCore

/// Rate limits and quotas shared by several instances on one database: capacity
/// handed out as reservations, which each instance then spends on its own
/// requests (`ClusterLimiter`, docs/scaling.md). Only PostgreSQL has this; one
/// SQLite instance sees every request and needs no sharing.
package protocol LimitReservationStore: Sendable {
    /// Reserves up to `want` of `limit` for `subject` in `slot` (seconds since the epoch),
    /// so that the reservations in the `window` slots ending at `slot` never add up to more
    /// than `limit`; returns how many were reserved, 0 when the limit is spent. Reservations
    /// of one subject are decided one at a time, whichever instance asks.
    func reserve(subject: String, slot: Int64, window: Int64, limit: Int64, want: Int64) async throws -> Int64
    /// The same for a quota over one period (`slot` is its start, in seconds): the period's
    /// reservations start at the usage `committed` says was recorded before the first of
    /// them (read once, in the same step), and never pass `quota`.
    func reserve(quota subject: String, slot: Int64, quota: Int64, want: Int64, committed: CommittedUsage) async throws -> Int64
    /// Gives back reservations that were not spent, so other instances may have them.
    func release(_ unspent: [LimitReservation]) async throws
    /// Forgets reservations no window or period reaches any more at `now` (seconds).
    func pruneLimitReservations(now: Int64) async throws
    /// Adds usage measured after the fact to shared metric quotas and reads them back: per
    /// entry, in order, the usage counted across instances in its period once its `quantity`
    /// is added. A period no instance has counted yet starts from the usage its `committed`
    /// says was recorded (read once), which is taken to hold the quantities added with it.
    /// Entries of one period are added together, so two instances adding at once both count.
    func countUsage(_ entries: [SharedUsage]) async throws -> [Int64]
}

/// Usage of one metric in one quota period, as `countUsage` adds it: `subject` names the
/// tenant, metric and period, `slot` is the period's start (seconds).
package struct SharedUsage: Sendable, Hashable {
    package var subject: String
    package var slot: Int64
    package var quantity: Int64
    package var committed: CommittedUsage

    package init(subject: String, slot: Int64, quantity: Int64, committed: CommittedUsage) {
        self.subject = subject
        self.slot = slot
        self.quantity = quantity
        self.committed = committed
    }
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

/// A tenant's committed usage of a metric over `[from, until)` (milliseconds): where a
/// shared quota's count starts.
package struct CommittedUsage: Sendable, Hashable {
    package var scope: TenantScope
    package var metric: String
    package var from: Int64
    package var until: Int64

    package init(scope: TenantScope, metric: String, from: Int64, until: Int64) {
        self.scope = scope
        self.metric = metric
        self.from = from
        self.until = until
    }
}
