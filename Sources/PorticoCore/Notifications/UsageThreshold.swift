/// A quota the store watches as usage is added: `limit` units of a metric per period.
package struct UsageQuota: Sendable, Equatable {
    package var period: QuotaPeriod
    package var limit: Int64

    package init(period: QuotaPeriod, limit: Int64) {
        self.period = period
        self.limit = limit
    }

    /// The percentages announced once per period (`usage.threshold_reached`).
    package static let thresholds = [80, 100]

    /// The highest threshold `quantity` has reached (0: none).
    package func reached(by quantity: Int64) -> Int {
        guard limit > 0 else { return 0 }
        return Self.thresholds.last { quantity * 100 >= Int64($0) * limit } ?? 0
    }
}

/// Usage of one tenant and metric reaching a threshold of its quota in a period: what
/// `usage.threshold_reached` announces.
package struct UsageThresholdCrossing: Sendable, Equatable {
    package var organizationId: String
    package var livemode: Bool
    package var metric: String
    package var period: QuotaPeriod
    package var periodStart: Int64
    package var periodEnd: Int64
    /// 80 or 100 (percent).
    package var threshold: Int
    package var quantity: Int64
    package var limit: Int64

    package init(
        organizationId: String,
        livemode: Bool,
        metric: String,
        period: QuotaPeriod,
        periodStart: Int64,
        periodEnd: Int64,
        threshold: Int,
        quantity: Int64,
        limit: Int64
    ) {
        self.organizationId = organizationId
        self.livemode = livemode
        self.metric = metric
        self.period = period
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.threshold = threshold
        self.quantity = quantity
        self.limit = limit
    }
}

extension QuotaPeriod {
    /// Its name in storage and in events.
    package var name: String {
        switch self {
        case .day: "day"
        case .month: "month"
        }
    }
}
