import Synchronization

/// Running usage per tenant and metric for the current UTC day and month,
/// the numbers quotas are checked against on the hot path: requests (counted
/// at admission) and the metrics a plan sets monthly quotas on (a gateway's
/// `tokens`, added once a request says how much it used).
///
/// Counting happens in memory at admission; the durable record is the usage
/// the log writer commits. A tenant's first check after start-up loads the
/// period's committed usage once (outside any lock), so a restart does not
/// hand out a fresh quota. How much was committed is the storage's to say:
/// the ledger is given a loader, and never does I/O itself.
package final class QuotaLedger: Sendable {
    package typealias Period = QuotaPeriod
    /// The tenant's committed usage of `metric` in `[from, until)`.
    package typealias CommittedUsage = @Sendable (_ tenant: TenantScope, _ metric: String, _ from: Int64, _ until: Int64) async throws -> Int64

    private struct Key: Hashable {
        var tenant: TenantScope
        var metric: String
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

    /// Counts one request against the tenant's quota of `metric` for `period`
    /// unless it is used up (and `hard`); returns the quota's state. With
    /// `consume: false` it only checks (a metric counted later, by `add`).
    package func admit(
        _ tenant: TenantScope,
        metric: String = UsageMetric.requests,
        period: Period,
        quota: Int,
        hard: Bool,
        now: Int64,
        consume: Bool = true
    ) async throws -> LimitState {
        let key = Key(tenant: tenant, metric: metric, period: period)
        let (start, end) = period.bounds(containing: now)
        // One lock and one lookup once the tenant's period is loaded; the first request loads it outside the lock.
        if let counted = counters.withLock({
            Self.count(&$0[key], start: start, end: end, key: key, quota: quota, hard: hard, consume: consume)
        }) {
            return Self.state(counted, quota: quota, end: end, now: now)
        }
        let committed = try await committedUsage(tenant, metric, start, end)
        let counted = counters.withLock { counters in
            if counters[key] == nil { counters[key] = Counter(periodStart: start, used: committed) }
            return Self.count(&counters[key], start: start, end: end, key: key, quota: quota, hard: hard, consume: consume)!
        }
        return Self.state(counted, quota: quota, end: end, now: now)
    }

    /// Counts one request on a loaded counter (nil when the tenant's period is not loaded yet).
    private static func count(
        _ counter: inout Counter?,
        start: Int64,
        end: Int64,
        key: Key,
        quota: Int,
        hard: Bool,
        consume: Bool
    ) -> (used: Int64, allowed: Bool, policy: LimitPolicy)? {
        guard var current = counter else { return nil }
        if current.periodStart != start { current = Counter(periodStart: start, used: 0) }
        let allowed = !hard || current.used < quota
        if consume, allowed { current.used += 1 }
        if current.policy?.quota != quota {
            let kind: LimitPolicy.Kind = key.metric == UsageMetric.requests ? .quota(key.period) : .metricQuota(key.metric, key.period)
            current.policy = LimitPolicy(kind, quota: quota, windowSeconds: Int((end - start) / 1_000))
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

    /// Adds usage measured after the fact to the tenant's loaded counters of
    /// `metric` (one not loaded yet reads it from committed usage when first checked).
    package func add(_ quantity: Int64, of metric: String, for tenant: TenantScope, now: Int64) {
        counters.withLock { counters in
            for period in [Period.day, .month] {
                let key = Key(tenant: tenant, metric: metric, period: period)
                guard var counter = counters[key], counter.periodStart == period.bounds(containing: now).start else { continue }
                counter.used += quantity
                counters[key] = counter
            }
        }
    }

    /// Gives back a request counted by `admit` (a later limit refused it).
    package func refund(_ tenant: TenantScope, period: Period, now: Int64) {
        let key = Key(tenant: tenant, metric: UsageMetric.requests, period: period)
        let start = period.bounds(containing: now).start
        counters.withLock { counters in
            if var counter = counters[key], counter.periodStart == start, counter.used > 0 {
                counter.used -= 1
                counters[key] = counter
            }
        }
    }
}
