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
    private let plans: [String: Plan]
    private let defaultPlan: Plan
    private let ipBurst: LimitPolicy?
    private let ipMinute: LimitPolicy?
    private let routes: [RouteLimitKey: RouteLimit]
    let limiter: RateLimiter
    private let ledger: QuotaLedger
    private let clock: any PorticoClock

    init(config: PorticoConfig, store: Store, clock: any PorticoClock) {
        plans = config.plans
        defaultPlan = config.plans[config.billing.defaultPlan] ?? Plan.defaults["free"]!
        let limits = config.rateLimits
        ipBurst = limits.ipPerSecond > 0 ? LimitPolicy(name: "ip-burst", quota: limits.ipPerSecond, windowSeconds: 1) : nil
        ipMinute = limits.ipPerMinute > 0 ? LimitPolicy(name: "ip-minute", quota: limits.ipPerMinute, windowSeconds: 60) : nil
        routes = Dictionary(
            limits.routes.compactMap { route, limit in RouteLimitKey(route: route).map { ($0, limit) } }, uniquingKeysWith: { a, _ in a })
        limiter = RateLimiter(maxTracked: limits.maxTrackedBuckets)
        ledger = QuotaLedger(store: store)
        self.clock = clock
    }

    /// The plan a principal's organization is on (the default plan if its name is no longer configured).
    func plan(for principal: Principal) -> Plan { plans[principal.plan] ?? defaultPlan }

    /// Counts the request against its client address.
    func admit(address: IPAddress?) -> [LimitState] {
        guard let address else { return [] }
        return limiter.acquire(.ip(address.rateLimitPrefix), burst: ipBurst, minute: ipMinute, now: clock.nowMilliseconds)
    }

    /// Counts the request against the key, the organization and the tenant's
    /// quotas; `consume: false` only reports (for `POST /v1/keys/verify`).
    func admit(_ principal: Principal, consume: Bool = true) async throws -> [LimitState] {
        let now = clock.nowMilliseconds
        let plan = plan(for: principal)
        let limits = plan.limits(livemode: principal.livemode)
        let tenant = principal.tenant
        var states: [LimitState] = []
        var refunds: [() -> Void] = []
        func refused() -> Bool {
            guard states.contains(where: \.refused) else { return false }
            if consume { refunds.forEach { $0() } }
            return true
        }

        let keyBurst = limits.perSecond.map { LimitPolicy(name: "key-burst", quota: $0, windowSeconds: 1) }
        let keyMinute = limits.perMinute.map { LimitPolicy(name: "key-minute", quota: $0, windowSeconds: 60) }
        states += limiter.acquire(.key(principal.keyID), burst: keyBurst, minute: keyMinute, now: now, consume: consume)
        if refused() { return states }
        refunds.append { [limiter] in limiter.refund(.key(principal.keyID), burst: keyBurst != nil, minute: keyMinute != nil, now: now) }

        if let perMinute = limits.organizationPerMinute {
            let subject = LimitSubject.organization(principal.organizationID, livemode: principal.livemode)
            let policy = LimitPolicy(name: "organization-minute", quota: perMinute, windowSeconds: 60)
            states += limiter.acquire(subject, burst: nil, minute: policy, now: now, consume: consume)
            if refused() { return states }
            refunds.append { [limiter] in limiter.refund(subject, burst: false, minute: true, now: now) }
        }

        for (period, quota) in [(QuotaLedger.Period.day, limits.dailyQuota), (.month, limits.monthlyQuota)] {
            guard let quota else { continue }
            let hard = period == .day || plan.monthlyQuotaIsHard(livemode: principal.livemode)
            states.append(try await ledger.admit(tenant, period: period, quota: quota, hard: hard, now: now, consume: consume))
            if refused() { return states }
            refunds.append { [ledger] in ledger.refund(tenant, period: period, now: now) }
        }
        return states
    }

    /// Counts the request against a route override, if the route has one; on
    /// refusal the tenant's quotas are refunded (the request will be a 429, which is not metered).
    func admit(_ principal: Principal, method: String, route: String) -> [LimitState] {
        guard let limit = routes[RouteLimitKey(method: method, path: route)] else { return [] }
        let now = clock.nowMilliseconds
        let subject = LimitSubject.route(principal.organizationID, livemode: principal.livemode, route: "\(method) \(route)")
        let states = limiter.acquire(
            subject, burst: limit.perSecond.map { LimitPolicy(name: "route-burst", quota: $0, windowSeconds: 1) },
            minute: limit.perMinute.map { LimitPolicy(name: "route-minute", quota: $0, windowSeconds: 60) }, now: now)
        if states.contains(where: \.refused) {
            let limits = plan(for: principal).limits(livemode: principal.livemode)
            if limits.dailyQuota != nil { ledger.refund(principal.tenant, period: .day, now: now) }
            if limits.monthlyQuota != nil { ledger.refund(principal.tenant, period: .month, now: now) }
        }
        return states
    }

    /// The problem to answer with when one of `states` refused the request.
    func refusal(_ states: [LimitState], principal: Principal?) -> APIError? {
        guard let hit = states.first(where: \.refused) else { return nil }
        let retry = hit.retryAfterSeconds ?? 1
        let planName = principal.map { "the \(plan(for: $0).name) plan" } ?? "this instance"
        let mode = principal.map { $0.livemode ? "live mode" : "test mode" }
        let scope = [mode, planName].compactMap { $0 }.joined(separator: ", ")
        let error: APIError
        if hit.isQuota {
            let period = hit.policy.name == "daily-quota" ? "day (UTC)" : "calendar month (UTC)"
            error = APIError(
                .quotaExceeded,
                "The organization has used its quota of \(hit.policy.quota) requests per \(period) (\(scope)). It resets in \(retry) seconds; move to a plan with a larger quota or overage billing to raise it.")
        } else {
            let who: String
            switch hit.policy.name {
            case let name where name.hasPrefix("ip-"): who = "from one client IP address (operator setting rate_limits.ip_*)"
            case let name where name.hasPrefix("key-"): who = "for one API key on \(scope)"
            case let name where name.hasPrefix("organization-"): who = "for the whole organization on \(scope)"
            default: who = "for this route (operator setting rate_limits.routes)"
            }
            error = APIError(
                .rateLimited,
                "Rate limit '\(hit.policy.name)' exceeded: \(hit.policy.quota) requests per \(hit.policy.windowSeconds) s \(who). Retry after \(retry) s and spread requests out; to raise the limit, move the organization to a higher plan or ask the operator.")
        }
        var problem = error
        problem.limit = hit.policy.name
        problem.headers[.retryAfter] = String(retry)
        return problem
    }
}

extension RouteLimitKey {
    init(method: String, path: String) {
        self.method = method
        self.path = path
    }
}

extension IPAddress {
    /// What an IP limit counts by: the whole IPv4 address, or the /64 of an
    /// IPv6 one (a single client usually controls a whole /64).
    var rateLimitPrefix: String {
        isIPv4 ? description : bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }
}
