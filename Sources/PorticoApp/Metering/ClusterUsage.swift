import Logging
import PorticoCore
import PorticoStore
import Synchronization

/// Monthly quotas of declared metrics (a plan's `metric_quotas`, a gateway's `tokens`)
/// shared by every instance on one PostgreSQL database (docs/scaling.md).
///
/// A metric's usage is known only after the request (the upstream reports it), so such a
/// quota is checked before the request against the usage counted so far, and the usage is
/// added once it is known; even one instance may pass the quota by what the requests in
/// flight when it is reached go on to use. Across instances the count is one row per
/// tenant, metric and month in the shared table (`LimitReservationStore.countUsage`),
/// started from the committed usage by the first instance to check or add to it (taken to
/// hold what is added with it: counted twice, it would refuse early). Each instance adds
/// what its requests used and reads the row back every ~250 ms (`settle`), and checks
/// against the row as last read plus what it has added since.
///
/// **Error bound.** On top of one instance's own (the requests in flight), the instances
/// together may pass the quota by what the others' requests used in the last ~250 ms
/// (one settle) plus a round trip. A database that fails or does not answer within
/// `ClusterLimiter.answerTimeout` leaves the check to this instance's own count
/// (`QuotaLedger`), logged; usage not yet added is kept and added on a later settle.
final class ClusterUsage: Sendable {
    /// A tenant's count of one metric in the month holding a moment.
    struct Counter: Sendable, Hashable {
        var name: String
        var slot: Int64
        var committed: CommittedUsage
    }

    /// What this instance knows of one counter (the key it is kept under).
    private struct Entry: Sendable {
        /// The count across instances as last read (nil until the first read answers).
        var total: Int64?
        /// What this instance added since, not yet sent.
        var pending: Int64 = 0
        /// When a request last checked or added to it (milliseconds): idle counters are forgotten.
        var usedAt: Int64
        /// The first read, which the first requests wait on.
        var reading: Task<Int64?, Never>?
    }

    /// Usage kept unsent while the database is away, at most (counters).
    private static let maximumCounters = 10_000
    /// Longer than a request streams, so the usage it reports at its end finds its counter.
    private static let idleMilliseconds: Int64 = 600_000

    private let entries = Mutex<[Counter: Entry]>([:])
    /// The database failed lately: first reads are skipped meanwhile (this instance's count decides).
    private let unavailable = Unavailable()
    private let store: any LimitReservationStore
    private let logger: Logger

    init(store: any LimitReservationStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The counter of the tenant's usage of `metric` in the month holding `now`.
    static func counter(_ metric: String, of tenant: TenantScope, now: Int64) -> Counter {
        let (start, end) = QuotaPeriod.month.bounds(containing: now)
        return Counter(
            name: "usage \(tenant.organizationId) \(tenant.livemode ? "live" : "test") \(metric) month",
            slot: start / 1_000,
            committed: CommittedUsage(scope: tenant, metric: metric, from: start, until: end)
        )
    }

    /// The usage counted across instances, this instance's latest included; nil when the
    /// database could not be asked in time (the caller's own count decides).
    func used(_ counter: Counter, now: Int64) async -> Int64? {
        let step: (used: Int64?, wait: Task<Int64?, Never>?) = entries.withLock { entries in
            var entry = entries[counter] ?? Entry(usedAt: now)
            defer { entries[counter] = entry }
            entry.usedAt = now
            if let total = entry.total { return (total + entry.pending, nil) }
            if let reading = entry.reading { return (nil, reading) }
            if unavailable.now { return (nil, nil) }
            let reading = ClusterLimiter.answer(within: ClusterLimiter.answerTimeout) {
                await self.read(counter)
            } late: {
                self.unavailable.begin()
                self.logger.warning("shared usage quota did not answer in time; checking this instance's count")
                self.endReading(counter, total: nil)
            }
            entry.reading = reading
            return (nil, reading)
        }
        if let used = step.used { return used }
        guard let wait = step.wait else { return nil }
        guard await wait.value != nil else { return nil }
        return entries.withLock { entries in entries[counter].flatMap { entry in entry.total.map { $0 + entry.pending } } }
    }

    /// The first read of a counter: its row, started from the committed usage if no instance has.
    private func read(_ counter: Counter) async -> Int64? {
        var total: Int64?
        do {
            total = try await store.countUsage([SharedUsage(subject: counter.name, slot: counter.slot, quantity: 0, committed: counter.committed)])[0]
        } catch {
            unavailable.begin()
            logger.warning("shared usage quota unavailable; checking this instance's count", metadata: ["error": "\(error)"])
        }
        endReading(counter, total: total)
        return total
    }

    /// Ends a counter's first read: with its total, or without (the next check asks again).
    private func endReading(_ counter: Counter, total: Int64?) {
        entries.withLock { entries in
            guard var entry = entries[counter] else { return }
            entry.reading = nil
            if let total, entry.total == nil { entry.total = total }
            entries[counter] = entry
        }
    }

    /// Adds usage a request reported to the tenant's counter of `metric`, sent at the next
    /// settle. Added to the row if one exists; a period no instance has counted yet starts from
    /// the committed usage, which is taken to hold it (counting it twice would refuse early).
    func add(_ quantity: Int64, of metric: String, for tenant: TenantScope, now: Int64) {
        guard quantity > 0 else { return }
        let counter = Self.counter(metric, of: tenant, now: now)
        entries.withLock { entries in
            var entry = entries[counter] ?? Entry(usedAt: now)
            entry.pending += quantity
            entry.usedAt = now
            entries[counter] = entry
        }
    }

    /// Sends what was added since the last settle and reads every counter back; forgets
    /// counters no request checked or added to for `idleMilliseconds` (once what they held is
    /// sent). Run every ~250 ms, and once more at shutdown (`SharedLimitsService`).
    func settle(now: Int64) async throws {
        let sending: [(counter: Counter, quantity: Int64)] = entries.withLock { entries in
            // A database away for long: the least recently checked counters are dropped, with
            // what they had not sent (a later check under-counts; it never refuses wrongly).
            if entries.count > Self.maximumCounters {
                for (counter, _) in entries.sorted(by: { $0.value.usedAt < $1.value.usedAt }).prefix(entries.count - Self.maximumCounters) {
                    entries[counter] = nil
                }
            }
            return entries.filter { $0.value.total != nil || $0.value.pending > 0 }.map { ($0.key, $0.value.pending) }
        }
        guard !sending.isEmpty else { return }
        let totals = try await store.countUsage(
            sending.map { SharedUsage(subject: $0.counter.name, slot: $0.counter.slot, quantity: $0.quantity, committed: $0.counter.committed) }
        )
        entries.withLock { entries in
            for (sent, total) in zip(sending, totals) {
                guard var entry = entries[sent.counter] else { continue }
                entry.pending -= sent.quantity
                entry.total = total
                entries[sent.counter] = entry.pending == 0 && now - entry.usedAt > Self.idleMilliseconds ? nil : entry
            }
        }
    }
}
