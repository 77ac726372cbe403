import Synchronization

/// Running request counts per tenant for the current UTC day and month, the
/// numbers daily and monthly quotas are checked against on the hot path.
///
/// Counting happens in memory at admission; the durable record is the usage
/// the log writer commits. A tenant's first check after start-up loads the
/// period's committed usage once (outside any lock), so a restart does not
/// hand out a fresh quota. How much was committed is the storage's to say:
/// the ledger is given a loader, and never does I/O itself.
package final class QuotaLedger: Sendable {
    package typealias Period = QuotaPeriod
    /// The tenant's committed requests in `[from, until)`.
    package typealias CommittedUsage = @Sendable (_ tenant: TenantScope, _ from: Int64, _ until: Int64) async throws -> Int64

    private struct Key: Hashable {
        var tenant: TenantScope
        var period: Period
    }

    private struct Counter {
        var periodStart: Int64
        var used: Int64
        /// The period's policy, built once per period and quota.
        var policy: LimitPolicy?
    }

    private let committedUsage: CommittedUsage
    private let counters = Mutex<[Key: Counter]>([:])

    package init(committedUsage: @escaping CommittedUsage) {
        self.committedUsage = committedUsage
    }

    /// Counts one request against the tenant's quota for `period` unless it is
    /// used up (and `hard`); returns the quota's state.
    package func admit(_ tenant: TenantScope, period: Period, quota: Int, hard: Bool, now: Int64, consume: Bool = true) async throws -> LimitState {
        let key = Key(tenant: tenant, period: period)
        let (start, end) = period.bounds(containing: now)
        // One lock and one lookup once the tenant's period is loaded; the first request loads it outside the lock.
        if let counted = counters.withLock({
            Self.count(&$0[key], start: start, end: end, period: period, quota: quota, hard: hard, consume: consume)
        }) {
            return Self.state(counted, quota: quota, end: end, now: now)
        }
        let committed = try await committedUsage(tenant, start, end)
        let counted = counters.withLock { counters in
            if counters[key] == nil { counters[key] = Counter(periodStart: start, used: committed) }
            return Self.count(&counters[key], start: start, end: end, period: period, quota: quota, hard: hard, consume: consume)!
        }
        return Self.state(counted, quota: quota, end: end, now: now)
    }

    /// Counts one request on a loaded counter (nil when the tenant's period is not loaded yet).
    private static func count(
        _ counter: inout Counter?,
        start: Int64,
        end: Int64,
        period: Period,
        quota: Int,
        hard: Bool,
        consume: Bool
    ) -> (used: Int64, allowed: Bool, policy: LimitPolicy)? {
        guard var current = counter else { return nil }
        if current.periodStart != start { current = Counter(periodStart: start, used: 0) }
        let allowed = !hard || current.used < quota
        if consume, allowed { current.used += 1 }
        if current.policy?.quota != quota {
            current.policy = LimitPolicy(.quota(period), quota: quota, windowSeconds: Int((end - start) / 1_000))
        }
        counter = current
        return (current.used, allowed, current.policy!)
    }

    private static func state(_ counted: (used: Int64, allowed: Bool, policy: LimitPolicy), quota: Int, end: Int64, now: Int64) -> LimitState {
        let reset = Int((end - now + 999) / 1_000)
        return LimitState(
            policy: counted.policy,
            remaining: max(0, quota - Int(counted.used)),
            resetSeconds: reset,
            retryAfterSeconds: counted.allowed ? nil : reset
        )
    }

    /// Gives back a request counted by `admit` (a later limit refused it).
    package func refund(_ tenant: TenantScope, period: Period, now: Int64) {
        let key = Key(tenant: tenant, period: period)
        let start = period.bounds(containing: now).start
        counters.withLock { counters in
            if var counter = counters[key], counter.periodStart == start, counter.used > 0 {
                counter.used -= 1
                counters[key] = counter
            }
        }
    }
}
