/// A billing plan: the limits an organization's keys get in each mode and
/// what a month costs. Defined in config (`plans`), referenced by name from
/// `organizations.plan`.
///
/// Every limit is optional: `nil` means unlimited. The live monthly quota is
/// also the quantity the base price includes; with an `overagePer1000` price
/// the live quota is soft (usage past it is billed), without one it is hard
/// (429 `quota_exceeded`). Test mode is never billed, so its quotas are always hard.
public struct Plan: Sendable, Equatable {
    /// Limits for one mode.
    public struct Limits: Sendable, Equatable {
        /// Per-key token bucket: this many requests at once, refilled at this many per second.
        public var perSecond: Int?
        /// Per-key sliding 60-second window.
        public var perMinute: Int?
        /// Whole organization (this mode), sliding 60-second window across all its keys.
        public var organizationPerMinute: Int?
        /// Requests per UTC day for the organization in this mode; always hard.
        public var dailyQuota: Int?
        /// Requests per UTC calendar month for the organization in this mode.
        public var monthlyQuota: Int?
        /// Monthly quotas of declared gateway metrics (`tokens`), always enforced (no overage).
        public var metricQuotas: [String: Int] = [:]

        public init(perSecond: Int?, perMinute: Int?, organizationPerMinute: Int?, dailyQuota: Int? = nil, monthlyQuota: Int? = nil) {
            self.perSecond = perSecond
            self.perMinute = perMinute
            self.organizationPerMinute = organizationPerMinute
            self.dailyQuota = dailyQuota
            self.monthlyQuota = monthlyQuota
        }
    }

    /// Shown in invoices and problem details ("Free", "Starter").
    public var name: String
    /// ISO 4217 code, lower case, as Stripe writes it.
    public var currency: String
    /// Monthly base fee in minor units (cents).
    public var basePrice: Int
    /// Price of each started block of 1,000 live requests past the monthly quota, in minor units; nil = no overage (hard quota).
    public var overagePer1000: Int?
    public var live: Limits
    public var test: Limits

    public init(name: String, currency: String, basePrice: Int, overagePer1000: Int?, live: Limits, test: Limits) {
        self.name = name
        self.currency = currency
        self.basePrice = basePrice
        self.overagePer1000 = overagePer1000
        self.live = live
        self.test = test
    }

    public func limits(livemode: Bool) -> Limits { livemode ? live : test }

    /// Whether running out of the monthly quota refuses requests (rather than billing overage).
    public func monthlyQuotaIsHard(livemode: Bool) -> Bool { !livemode || overagePer1000 == nil }

    /// Market-shaped defaults: a free tier capped per day, two paid tiers with
    /// included volume and overage, and an enterprise tier with high limits and a custom price.
    public static let defaults: [String: Plan] = [
        "free": Plan(
            name: "Free",
            currency: "usd",
            basePrice: 0,
            overagePer1000: nil,
            live: Limits(perSecond: 10, perMinute: 100, organizationPerMinute: 200, dailyQuota: 1_000),
            test: Limits(perSecond: 5, perMinute: 50, organizationPerMinute: 100, dailyQuota: 500)
        ),
        "starter": Plan(
            name: "Starter",
            currency: "usd",
            basePrice: 4_900,
            overagePer1000: 50,
            live: Limits(perSecond: 25, perMinute: 1_000, organizationPerMinute: 2_000, monthlyQuota: 100_000),
            test: Limits(perSecond: 10, perMinute: 300, organizationPerMinute: 600, monthlyQuota: 10_000)
        ),
        "growth": Plan(
            name: "Growth",
            currency: "usd",
            basePrice: 19_900,
            overagePer1000: 30,
            live: Limits(perSecond: 100, perMinute: 5_000, organizationPerMinute: 10_000, monthlyQuota: 1_000_000),
            test: Limits(perSecond: 25, perMinute: 1_000, organizationPerMinute: 2_000, monthlyQuota: 100_000)
        ),
        "enterprise": Plan(
            name: "Enterprise",
            currency: "usd",
            basePrice: 0,
            overagePer1000: nil,
            live: Limits(perSecond: 500, perMinute: 30_000, organizationPerMinute: 60_000),
            test: Limits(perSecond: 100, perMinute: 5_000, organizationPerMinute: 10_000)
        ),
    ]
}

/// A per-route override (`rate_limits.routes`): applied per organization and
/// mode on top of the plan's limits, e.g. to protect an expensive endpoint.
public struct RouteLimit: Sendable, Equatable {
    public var perSecond: Int?
    public var perMinute: Int?

    public init(perSecond: Int?, perMinute: Int?) {
        self.perSecond = perSecond
        self.perMinute = perMinute
    }
}
