import PorticoCore

/// One counter of `usage_periods`: a tenant's metric over one quota period.
package struct UsagePeriodKey: Hashable, Comparable, Sendable {
    package var organizationId: String
    package var livemode: Bool
    package var metric: String
    package var period: QuotaPeriod
    package var start: Int64

    /// A fixed order, so that engines which lock rows take them in the same sequence.
    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.organizationId, lhs.livemode ? 1 : 0, lhs.metric, lhs.period.name, lhs.start)
            < (rhs.organizationId, rhs.livemode ? 1 : 0, rhs.metric, rhs.period.name, rhs.start)
    }
}

/// The quota-period rules every engine applies when usage is added: which counters a batch
/// adds to, and which thresholds a counter's new total crosses.
package enum UsagePeriods {
    /// The counters `usage` adds to: its month, and its day too for requests.
    package static func totals(_ usage: [UsageIncrement: Int64]) -> [UsagePeriodKey: Int64] {
        var totals: [UsagePeriodKey: Int64] = [:]
        for (bucket, quantity) in usage {
            let periods: [QuotaPeriod] = bucket.metric == UsageMetric.requests ? [.month, .day] : [.month]
            for period in periods {
                let key = UsagePeriodKey(
                    organizationId: bucket.organizationId,
                    livemode: bucket.livemode,
                    metric: bucket.metric,
                    period: period,
                    start: period.bounds(containing: bucket.hourStart).start
                )
                totals[key, default: 0] += quantity
            }
        }
        return totals
    }

    /// Whether a counter whose `alerted` threshold is already the last needs no quota read.
    package static func fullyAnnounced(_ alerted: Int) -> Bool { alerted >= UsageQuota.thresholds.last ?? 0 }

    /// The highest threshold `total` reaches of `quota`, and the crossings to announce: each
    /// threshold above `alerted` up to it (none when it is not above `alerted`).
    package static func crossings(
        of key: UsagePeriodKey,
        total: Int64,
        alerted: Int,
        quota: UsageQuota
    ) -> (reached: Int, crossings: [UsageThresholdCrossing]) {
        let reached = quota.reached(by: total)
        guard reached > alerted else { return (reached, []) }
        let crossings = UsageQuota.thresholds.filter { $0 > alerted && $0 <= reached }.map { threshold in
            UsageThresholdCrossing(
                organizationId: key.organizationId,
                livemode: key.livemode,
                metric: key.metric,
                period: key.period,
                periodStart: key.start,
                periodEnd: key.period.bounds(containing: key.start).end,
                threshold: threshold,
                quantity: total,
                limit: quota.limit
            )
        }
        return (reached, crossings)
    }
}
