import PorticoCore
import PorticoStore

/// Decides whether a `/v1` request may proceed under every limit that
/// applies to it, in the order they are checked: the client IP (before
/// authentication, so unauthenticated floods are limited too), then the
/// key's burst and minute limits, the organization's minute limit, and the
/// tenant's daily and monthly quotas from its plan; routes with an override
/// are checked when the route is known.
///
/// Each check counts the request only if it passes; when a later check
/// refuses, the earlier ones are refunded, so a refused request costs nothing
/// against the key's or organization's limits (it still counts against the IP's).
final class AdmissionControl: Sendable {
    /// One plan's limits in one mode, as policies built once at start-up.
    struct ModePolicies: Sendable {
        let keyBurst: LimitPolicy?
        let keyMinute: LimitPolicy?
        let organizationMinute: LimitPolicy?
        let dailyQuota: Int?
        let monthlyQuota: Int?
        /// Whether running out of the monthly quota refuses (rather than bills overage).
        let monthlyQuotaIsHard: Bool
        /// Monthly quotas of declared metrics, by metric.
        let metricQuotas: [String: Int]

        init(_ plan: Plan, livemode: Bool) {
            let limits = plan.limits(livemode: livemode)
            keyBurst = limits.perSecond.map { LimitPolicy(.key, .burst, quota: $0) }
            keyMinute = limits.perMinute.map { LimitPolicy(.key, .minute, quota: $0) }
            organizationMinute = limits.organizationPerMinute.map { LimitPolicy(.organization, .minute, quota: $0) }
            dailyQuota = limits.dailyQuota
            monthlyQuota = limits.monthlyQuota
            monthlyQuotaIsHard = plan.monthlyQuotaIsHard(livemode: livemode)
            metricQuotas = limits.metricQuotas
        }

        /// No limit at all: a platform key's (the team's own backend is never counted against a tenant).
        static let unlimited = ModePolicies()

        private init() {
            keyBurst = nil
            keyMinute = nil
            organizationMinute = nil
            dailyQuota = nil
            monthlyQuota = nil
            monthlyQuotaIsHard = false
            metricQuotas = [:]
        }
    }

    /// What one request was counted against, so that a later refusal (a
    /// quota after the key's limit, or the route's limit after all of them)
    /// gives back exactly that, in the second it was counted.
    struct Admission: Sendable {
        fileprivate let countedAt: Int64
        fileprivate var keyBurst = false
        fileprivate var keyMinute = false
        fileprivate var organization = false
        fileprivate var day = false
        fileprivate var month = false
    }

    /// A route override (`rate_limits.routes`) as policies.
    struct RoutePolicies: Sendable {
        let burst: LimitPolicy?
        let minute: LimitPolicy?
    }

    private let plans: [String: Plan]
    private let defaultPlan: Plan
    private let policies: [String: (live: ModePolicies, test: ModePolicies)]
    private let defaultPolicies: (live: ModePolicies, test: ModePolicies)
    private let ipBurst: LimitPolicy?
    private let ipMinute: LimitPolicy?
    private let routes: [RouteLimitKey: RouteLimit]
    let limiter: RateLimiter
    /// On PostgreSQL, the check that the instances together stay within each rate limit.
    let cluster: ClusterLimiter?
    /// On PostgreSQL, the usage of metrics with quotas, counted across instances.
    let sharedUsage: ClusterUsage?
    private let ledger: QuotaLedger
    private let clock: any PorticoClock

    init(
        config: PorticoConfig,
        store: any BillingStore,
        clock: any PorticoClock,
        cluster: ClusterLimiter? = nil,
        sharedUsage: ClusterUsage? = nil
    ) {
        plans = config.plans
        defaultPlan = config.plans[config.billing.defaultPlan] ?? Plan.defaults["free"]!
        policies = config.plans.mapValues { (ModePolicies($0, livemode: true), ModePolicies($0, livemode: false)) }
        defaultPolicies = (ModePolicies(defaultPlan, livemode: true), ModePolicies(defaultPlan, livemode: false))
        let limits = config.rateLimits
        ipBurst = limits.ipPerSecond > 0 ? LimitPolicy(.ip, .burst, quota: limits.ipPerSecond) : nil
        ipMinute = limits.ipPerMinute > 0 ? LimitPolicy(.ip, .minute, quota: limits.ipPerMinute) : nil
        routes = Dictionary(
            limits.routes.compactMap { route, limit in RouteLimitKey(route: route).map { ($0, limit) } },
            uniquingKeysWith: { a, _ in a }
        )
        limiter = RateLimiter(maxTracked: limits.maxTrackedBuckets)
        self.cluster = cluster
        self.sharedUsage = sharedUsage
        ledger = QuotaLedger { tenant, metric, from, until in
            try await store.usageTotal(scope: tenant, metric: metric, from: from, until: until)
        }
        self.clock = clock
    }

    /// The plan a principal's organization is on (the default plan if its name is no longer
    /// configured), with the organization's own limits applied.
    func plan(for principal: Principal) -> Plan { (plans[principal.plan] ?? defaultPlan).overriding(principal.limitOverrides) }

    private func policies(for principal: Principal) -> ModePolicies {
        if principal.isPlatform { return .unlimited }
        // Custom limits are live-mode only and rare: built per request for those organizations alone.
        if principal.livemode, principal.limitOverrides != nil { return ModePolicies(plan(for: principal), livemode: true) }
        let plan = policies[principal.plan] ?? defaultPolicies
        return principal.livemode ? plan.live : plan.test
    }

    /// Counts the request against its client address, appending the IP limits' states.
    func admit(address: IPAddress?, into states: inout [LimitState]) async {
        guard let address else { return }
        let key = LimitKey(.ip(address.rateLimitSubject))
        let now = clock.nowMilliseconds
        if limiter.acquire(key, burst: ipBurst, minute: ipMinute, now: now, into: &states) {
            _ = await admitAcrossInstances(key, burst: ipBurst, minute: ipMinute, now: now, states: &states)
        }
    }

    /// The cluster-wide check (PostgreSQL) of limits this instance's own limiter has just
    /// counted the request against. False when the instances together have spent one of them:
    /// its state is marked refused and the local count given back.
    private func admitAcrossInstances(
        _ key: LimitKey,
        burst: LimitPolicy?,
        minute: LimitPolicy?,
        now: Int64,
        states: inout [LimitState]
    ) async -> Bool {
        guard let cluster else { return true }
        var counted: [ClusterLimiter.Counter] = []
        for policy in [burst, minute] {
            guard let policy else { continue }
            let counter = ClusterLimiter.counter(key.subject, policy, now: now)
            switch await cluster.admit(counter, now: now) {
            case .reserved:
                counted.append(counter)
                continue
            case .unchecked: continue
            case .refused: break
            }
            for counter in counted { cluster.refund(counter, at: now) }
            limiter.refund(key, burst: burst != nil, minute: minute != nil, now: now)
            Self.markRefused(policy, retryAfter: 1, in: &states)
            return false
        }
        return true
    }

    /// The cluster-wide check (PostgreSQL) of a hard request quota the instance's own ledger
    /// has just counted; false, with its state marked refused, when the instances together have used it up.
    private func admitAcrossInstances(
        quota: Int,
        period: QuotaPeriod,
        of principal: Principal,
        now: Int64,
        states: inout [LimitState]
    ) async -> Bool {
        guard let cluster else { return true }
        guard await cluster.admit(ClusterLimiter.counter(quota: quota, of: principal.tenant, period: period, now: now), now: now).admits else {
            if let state = states.last { Self.markRefused(state.policy, retryAfter: max(1, state.resetSeconds), in: &states) }
            return false
        }
        return true
    }

    private static func markRefused(_ policy: LimitPolicy, retryAfter: Int, in states: inout [LimitState]) {
        guard let index = states.lastIndex(where: { $0.policy === policy }) else { return }
        states[index].remaining = 0
        states[index].resetSeconds = max(states[index].resetSeconds, retryAfter)
        states[index].retryAfterSeconds = retryAfter
    }

    /// Counts the request against the key, the organization and the tenant's
    /// quotas, appending each limit's state; `consume: false` only reports
    /// (for `POST /v1/keys/verify`). Returns what was counted, or nil when a
    /// limit refused (and whatever was counted before it is given back).
    @discardableResult
    func admit(_ principal: Principal, consume: Bool = true, into states: inout [LimitState]) async throws -> Admission? {
        let now = clock.nowMilliseconds
        let limits = policies(for: principal)
        guard
            limiter.acquire(principal.keyLimit, burst: limits.keyBurst, minute: limits.keyMinute, now: now, consume: consume, into: &states)
        else {
            return nil
        }
        if consume, !(await admitAcrossInstances(principal.keyLimit, burst: limits.keyBurst, minute: limits.keyMinute, now: now, states: &states)) {
            return nil
        }
        var admission = Admission(countedAt: now)
        admission.keyBurst = consume && limits.keyBurst != nil
        admission.keyMinute = consume && limits.keyMinute != nil

        if let policy = limits.organizationMinute {
            var counted = limiter.acquire(principal.organizationLimit, burst: nil, minute: policy, now: now, consume: consume, into: &states)
            if counted, consume {
                counted = await admitAcrossInstances(principal.organizationLimit, burst: nil, minute: policy, now: now, states: &states)
            }
            guard counted else {
                refund(admission, for: principal)
                return nil
            }
            admission.organization = consume
        }
        if let quota = limits.dailyQuota {
            let state = try await ledger.admit(principal.tenant, period: .day, quota: quota, hard: true, now: now, consume: consume)
            states.append(state)
            guard !state.refused else {
                refund(admission, for: principal)
                return nil
            }
            admission.day = consume
            if consume, !(await admitAcrossInstances(quota: quota, period: .day, of: principal, now: now, states: &states)) {
                ledger.refund(principal.tenant, period: .day, now: now)
                admission.day = false
                refund(admission, for: principal)
                return nil
            }
        }
        if let quota = limits.monthlyQuota {
            let state = try await ledger.admit(
                principal.tenant,
                period: .month,
                quota: quota,
                hard: limits.monthlyQuotaIsHard,
                now: now,
                consume: consume
            )
            states.append(state)
            guard !state.refused else {
                refund(admission, for: principal)
                return nil
            }
            admission.month = consume
            // A monthly quota billed as overage refuses nothing, so nothing is shared.
            if consume, limits.monthlyQuotaIsHard,
                !(await admitAcrossInstances(quota: quota, period: .month, of: principal, now: now, states: &states))
            {
                ledger.refund(principal.tenant, period: .month, now: now)
                admission.month = false
                refund(admission, for: principal)
                return nil
            }
        }
        return admission
    }

    /// Checks the tenant's monthly quota of `metric` (the plan's
    /// `metric_quotas`), appending its state; false when it is used up. The
    /// usage itself is added once the request says how much it used (`record`).
    func admit(_ principal: Principal, metric: String, into states: inout [LimitState]) async throws -> Bool {
        guard let quota = policies(for: principal).metricQuotas[metric] else { return true }
        let now = clock.nowMilliseconds
        var state = try await ledger.admit(principal.tenant, metric: metric, period: .month, quota: quota, hard: true, now: now, consume: false)
        // On PostgreSQL, what the other instances' requests used counts too (this instance's own count when the database cannot say).
        if !state.refused, let sharedUsage,
            let used = await sharedUsage.used(ClusterUsage.counter(metric, of: principal.tenant, now: now), now: now)
        {
            state.remaining = min(state.remaining, max(0, quota - Int(clamping: used)))
            if used >= quota { state.retryAfterSeconds = max(1, state.resetSeconds) }
        }
        states.append(state)
        return !state.refused
    }

    /// Adds metered usage to the quota counters (requests are counted at admission).
    func record(_ meters: [Meter], for tenant: TenantScope) {
        guard !meters.isEmpty else { return }
        let now = clock.nowMilliseconds
        for meter in meters {
            ledger.add(meter.quantity, of: meter.metric, for: tenant, now: now)
            sharedUsage?.add(meter.quantity, of: meter.metric, for: tenant, now: now)
        }
    }

    /// Gives back what `admission` counted: the one refund, for a request a
    /// later limit refused (a refused request costs nothing and is not metered).
    func refund(_ admission: Admission, for principal: Principal) {
        let now = admission.countedAt
        if admission.keyBurst || admission.keyMinute {
            limiter.refund(principal.keyLimit, burst: admission.keyBurst, minute: admission.keyMinute, now: now)
        }
        if admission.organization { limiter.refund(principal.organizationLimit, burst: false, minute: true, now: now) }
        if admission.day { ledger.refund(principal.tenant, period: .day, now: now) }
        if admission.month { ledger.refund(principal.tenant, period: .month, now: now) }
        if let cluster { refundAcrossInstances(admission, for: principal, cluster) }
    }

    /// What `admission` counted in the shared limits, given back as `refund` gives back the local ones.
    private func refundAcrossInstances(_ admission: Admission, for principal: Principal, _ cluster: ClusterLimiter) {
        let now = admission.countedAt
        let limits = policies(for: principal)
        var counters: [ClusterLimiter.Counter] = []
        if admission.keyBurst, let policy = limits.keyBurst { counters.append(ClusterLimiter.counter(principal.keyLimit.subject, policy, now: now)) }
        if admission.keyMinute, let policy = limits.keyMinute {
            counters.append(ClusterLimiter.counter(principal.keyLimit.subject, policy, now: now))
        }
        if admission.organization, let policy = limits.organizationMinute {
            counters.append(ClusterLimiter.counter(principal.organizationLimit.subject, policy, now: now))
        }
        if admission.day, let quota = limits.dailyQuota {
            counters.append(ClusterLimiter.counter(quota: quota, of: principal.tenant, period: .day, now: now))
        }
        if admission.month, limits.monthlyQuotaIsHard, let quota = limits.monthlyQuota {
            counters.append(ClusterLimiter.counter(quota: quota, of: principal.tenant, period: .month, now: now))
        }
        for counter in counters { cluster.refund(counter, at: now) }
    }

    /// The operator's override for a route (`rate_limits.routes`), looked up
    /// once when the route is registered; `route` is the path as `RouteLimitKey` spells it.
    func routeLimit(method: String, route: String) -> RoutePolicies? {
        routes[RouteLimitKey(method: method, path: route)].map(policies(for:))
    }

    /// The policies of one route limit (an override, or a gateway route's own `rate_limit`).
    func policies(for limit: RouteLimit) -> RoutePolicies {
        RoutePolicies(
            burst: limit.perSecond.map { LimitPolicy(.route, .burst, quota: $0) },
            minute: limit.perMinute.map { LimitPolicy(.route, .minute, quota: $0) }
        )
    }

    /// Counts the request against its route's override. On refusal what
    /// `admission` counted is given back (the request will be a 429).
    func admit(
        _ principal: Principal,
        admission: Admission?,
        route: String,
        limit: RoutePolicies,
        into states: inout [LimitState]
    ) async -> Bool {
        // A platform key is not counted against the organization it acts for (as in `policies(for:)`).
        if principal.isPlatform { return true }
        let subject = LimitKey(.route(principal.organizationID, livemode: principal.livemode, route: route))
        let now = clock.nowMilliseconds
        var counted = limiter.acquire(subject, burst: limit.burst, minute: limit.minute, now: now, into: &states)
        if counted { counted = await admitAcrossInstances(subject, burst: limit.burst, minute: limit.minute, now: now, states: &states) }
        if !counted, let admission { refund(admission, for: principal) }
        return counted
    }

    /// The 429 a test-mode request asked for with `Portico-Test-Outcome:
    /// rate_limited`, as the key's own limit would give it: what `admission`
    /// counted is given back, and the key's tightest rate limit reports itself
    /// spent for one second (so a client's retry can be tested without waiting a minute).
    func forcedRefusal(_ admission: Admission, for principal: Principal, states: inout [LimitState]) -> APIError {
        refund(admission, for: principal)
        let keyLimits = states.indices.filter { states[$0].policy.kind == .rate(.key, .burst) || states[$0].policy.kind == .rate(.key, .minute) }
        if let index = keyLimits.min(by: { states[$0].isTighter(than: states[$1]) }) {
            states[index].remaining = 0
            states[index].resetSeconds = 1
            states[index].retryAfterSeconds = 1
        } else {
            states.append(LimitState(policy: LimitPolicy(.key, .burst, quota: 1), remaining: 0, resetSeconds: 1, retryAfterSeconds: 1))
        }
        var error = refusal(states, principal: principal)!
        error.detail += " " + ForcedOutcome.note
        return error
    }

    /// The problem to answer with when one of `states` refused the request.
    func refusal(_ states: [LimitState], principal: Principal?) -> APIError? {
        guard let hit = states.first(where: \.refused) else { return nil }
        let retry = hit.retryAfterSeconds ?? 1
        let planName = principal.map { "the \(plan(for: $0).name) plan" } ?? "this instance"
        let mode = principal.map { $0.livemode ? "live mode" : "test mode" }
        let scope = [mode, planName].compactMap { $0 }.joined(separator: ", ")
        let error: APIError
        if case .metricQuota(let metric, _) = hit.policy.kind {
            error = APIError(
                .quotaExceeded,
                "The organization has used its quota of \(hit.policy.quota) \(metric) per calendar month (UTC) (\(scope)). It resets in \(retry) seconds; move to a plan with a larger quota to raise it."
            )
        } else if hit.isQuota {
            let period = hit.policy.kind == .quota(.day) ? "day (UTC)" : "calendar month (UTC)"
            error = APIError(
                .quotaExceeded,
                "The organization has used its quota of \(hit.policy.quota) requests per \(period) (\(scope)). It resets in \(retry) seconds; move to a plan with a larger quota or overage billing to raise it."
            )
        } else {
            let who: String
            switch hit.policy.kind {
            case .rate(.ip, _): who = "from one client IP address (operator setting rate_limits.ip_*)"
            case .rate(.key, _): who = "for one API key on \(scope)"
            case .rate(.organization, _): who = "for the whole organization on \(scope)"
            case .rate(.route, _), .quota, .metricQuota:
                who = "for this route (operator setting rate_limits.routes, or the gateway route's rate_limit)"
            }
            error = APIError(
                .rateLimited,
                "Rate limit '\(hit.policy.name)' exceeded: \(hit.policy.quota) requests per \(hit.policy.windowSeconds) s \(who). Retry after \(retry) s and spread requests out; to raise the limit, move the organization to a higher plan or ask the operator."
            )
        }
        var problem = error
        problem.limit = hit.policy.name
        problem.headers[.retryAfter] = String(retry)
        return problem
    }
}
