import PorticoStore
import Synchronization

/// Running request counts per tenant for the current UTC day and month, the
/// numbers daily and monthly quotas are checked against on the hot path.
///
/// Counting happens in memory at admission; the durable record is the usage
/// the log writer commits. A tenant's first check after start-up loads the
/// period's committed usage once (outside any lock), so a restart does not
/// hand out a fresh quota.
final class QuotaLedger: Sendable {
    enum Period: Sendable, Hashable {
        case day
        case month

        var policyName: String { self == .day ? "daily-quota" : "monthly-quota" }

        func bounds(containing now: Int64) -> (start: Int64, end: Int64) {
            switch self {
            case .day:
                let start = CivilTime.dayStart(now)
                return (start, start + 86_400_000)
            case .month:
                return CivilTime.month(containing: now)
            }
        }
    }

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

    private let store: Store
    private let counters = Mutex<[Key: Counter]>([:])

    init(store: Store) {
        self.store = store
    }

    /// Counts one request against the tenant's quota for `period` unless it is
    /// used up (and `hard`); returns the quota's state.
    func admit(_ tenant: TenantScope, period: Period, quota: Int, hard: Bool, now: Int64, consume: Bool = true) async throws -> LimitState {
        let key = Key(tenant: tenant, period: period)
        let (start, end) = period.bounds(containing: now)
        if counters.withLock({ $0[key] == nil }) {
            let committed = try await store.usageTotal(scope: tenant, metric: UsageMetric.requests, from: start, until: end)
            counters.withLock { counters in
                if counters[key] == nil { counters[key] = Counter(periodStart: start, used: committed) }
            }
        }
        let (used, allowed, policy) = counters.withLock { counters -> (Int64, Bool, LimitPolicy) in
            var counter = counters[key]!
            if counter.periodStart != start { counter = Counter(periodStart: start, used: 0) }
            let allowed = !hard || counter.used < quota
            if consume, allowed { counter.used += 1 }
            if counter.policy?.quota != quota {
                counter.policy = LimitPolicy(name: period.policyName, quota: quota, windowSeconds: Int((end - start) / 1_000))
            }
            counters[key] = counter
            return (counter.used, allowed, counter.policy!)
        }
        let reset = Int((end - now + 999) / 1_000)
        return LimitState(
            policy: policy, remaining: max(0, quota - Int(used)), resetSeconds: reset,
            retryAfterSeconds: allowed ? nil : reset, isQuota: true)
    }

    /// Gives back a request counted by `admit` (a later limit refused it).
    func refund(_ tenant: TenantScope, period: Period, now: Int64) {
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

/// Names of the metrics usage is recorded under.
enum UsageMetric {
    /// Every authenticated `/v1` request that was not refused by a limit (429).
    static let requests = "requests"
}
