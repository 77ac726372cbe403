import Logging
import PorticoCore
import PorticoStore
import Synchronization

/// Rate limits and request quotas shared by every instance on one PostgreSQL
/// database (docs/scaling.md).
///
/// **Algorithm.** Each limit's capacity is handed out by the database as
/// reservations (`LimitReservationStore`): for a rate limit counted in
/// one-second slots, granted only while the reservations in the policy's
/// window (the current second for a burst limit, the last 60 one-second slots
/// for a minute limit) stay within the limit; for a daily or monthly quota
/// counted per period, starting from the usage committed before the period's
/// first reservation. Each subject's reservations are decided one at a time.
/// An instance admits a request only against a reservation it holds for the
/// current second, asking for more when it runs out (one round trip, shared
/// by the requests that wait for it): as much as the subject used the second
/// before, doubling within a second, at most a quarter of the limit.
///
/// **Error bound.** Over-admission is zero: together the instances never admit
/// more than a rate limit in any window of its policy, measured in whole
/// seconds, nor more than a quota in its period. The error is the other way,
/// and bounded too: an instance may refuse while another still holds unspent
/// reservations of the same second (at most that second's; unspent ones go
/// back within ~250 ms after their second). An instance killed with SIGKILL
/// keeps what it held unspent until the window passes (a minute at most), or
/// for a quota, for the rest of the period (at most a quarter of the quota,
/// and only while it was that busy). If the database cannot be asked, requests
/// are admitted on the instance's own limits alone (logged): limits never
/// take the API down.
///
/// Each instance still applies its own limiter (`RateLimiter`, `QuotaLedger`)
/// first, which gives the `RateLimit` headers their figures; this is the
/// cluster-wide check after it.
final class ClusterLimiter: Sendable {
    /// A limit as the database counts it: a subject's slot, the window of slots counted,
    /// and for a quota, the usage its count starts from.
    struct Counter: Sendable {
        var name: String
        var slot: Int64
        var window: Int64
        var limit: Int64
        var committed: CommittedUsage?

        var key: String { "\(name)@\(slot)" }
    }

    /// What this instance holds of one counter in one second.
    private struct Holding: Sendable {
        var second: Int64
        var granted: Int64 = 0
        var spent: Int64 = 0
        /// What the previous second spent: how much to ask for at once.
        var spentBefore: Int64 = 0
        /// The database said the limit is spent for this second.
        var exhausted = false
        var pending: Task<Int64?, Never>?

        var unspent: Int64 { granted - spent }
    }

    private enum Step {
        case admitted
        case refused
        case wait(Task<Int64?, Never>)
    }

    private let holdings = Mutex<[String: (counter: Counter, holding: Holding)]>([:])
    private let unspent = Mutex<[LimitReservation]>([])
    private let store: any LimitReservationStore
    private let logger: Logger

    init(store: any LimitReservationStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The counter of a rate limit at `now`.
    static func counter(_ subject: LimitSubject, _ policy: LimitPolicy, now: Int64) -> Counter {
        Counter(name: subject.clusterName + " " + policy.name, slot: now / 1_000, window: Int64(policy.windowSeconds), limit: Int64(policy.quota))
    }

    /// The counter of a tenant's request quota for the period holding `now`.
    static func counter(quota: Int, of tenant: TenantScope, period: QuotaPeriod, now: Int64) -> Counter {
        let (start, end) = period.bounds(containing: now)
        return Counter(
            name: "quota \(tenant.organizationId) \(tenant.livemode ? "live" : "test") \(period)",
            slot: start / 1_000,
            window: 1,
            limit: Int64(quota),
            committed: CommittedUsage(scope: tenant, metric: UsageMetric.requests, from: start, until: end)
        )
    }

    /// Whether one more request fits `counter` across every instance at `now`; counts it when it does.
    func admit(_ counter: Counter, now: Int64) async -> Bool {
        var second = now / 1_000
        let key = counter.key
        while true {
            let step: Step = holdings.withLock { holdings in
                var holding = holdings[key]?.holding ?? Holding(second: second)
                if holding.second < second {
                    if holding.unspent > 0 { hold(LimitReservation(subject: counter.name, slot: counter.slot, count: holding.unspent)) }
                    let spentBefore = holding.second == second - 1 ? holding.spent : 0
                    holding = Holding(second: second)
                    holding.spentBefore = spentBefore
                } else if holding.second > second {
                    second = holding.second  // a late request counts in the second it is admitted in
                }
                defer { holdings[key] = (counter, holding) }
                if holding.unspent > 0 {
                    holding.spent += 1
                    return .admitted
                }
                if holding.exhausted { return .refused }
                if let pending = holding.pending { return .wait(pending) }
                let want = max(1, min(max(holding.spentBefore, holding.granted), counter.limit / 4))
                let task = reservation(counter, second: second, want: want)
                holding.pending = task
                return .wait(task)
            }
            switch step {
            case .admitted: return true
            case .refused: return false
            case .wait(let task):
                // nil: the database could not be asked; this instance's own limit decided.
                guard await task.value != nil else { return true }
            }
        }
    }

    /// Gives back one request `admit` counted at `at` (a later limit refused it).
    func refund(_ counter: Counter, at: Int64) {
        holdings.withLock { holdings in
            if var entry = holdings[counter.key], entry.holding.second == at / 1_000, entry.holding.spent > 0 {
                entry.holding.spent -= 1
                holdings[counter.key] = entry
            } else {
                hold(LimitReservation(subject: counter.name, slot: counter.slot, count: 1))
            }
        }
    }

    /// Asks the database for `want` more of `counter`; what it grants is added to the
    /// holding of `second` (or, if that second has passed meanwhile, given back).
    private func reservation(_ counter: Counter, second: Int64, want: Int64) -> Task<Int64?, Never> {
        Task {
            let granted: Int64?
            do {
                if let committed = counter.committed {
                    granted = try await store.reserve(quota: counter.name, slot: counter.slot, quota: counter.limit, want: want, committed: committed)
                } else {
                    granted = try await store.reserve(
                        subject: counter.name,
                        slot: counter.slot,
                        window: counter.window,
                        limit: counter.limit,
                        want: want
                    )
                }
            } catch {
                logger.warning("shared rate limit unavailable; admitting on this instance's limits", metadata: ["error": "\(error)"])
                granted = nil
            }
            holdings.withLock { holdings in
                guard var entry = holdings[counter.key], entry.holding.second == second else {
                    if let granted, granted > 0 { hold(LimitReservation(subject: counter.name, slot: counter.slot, count: granted)) }
                    return
                }
                entry.holding.pending = nil
                if let granted {
                    entry.holding.granted += granted
                    entry.holding.exhausted = granted == 0
                }
                holdings[counter.key] = entry
            }
            return granted
        }
    }

    private func hold(_ reservation: LimitReservation) {
        unspent.withLock { $0.append(reservation) }
    }

    /// Gives back what past seconds left unspent and forgets idle counters; every minute or so
    /// also clears expired slots from the database. Run every ~250 ms (`PeriodicService`).
    func settle(now: Int64) async throws {
        let second = now / 1_000
        holdings.withLock { holdings in
            for (key, var entry) in holdings where entry.holding.second < second && entry.holding.pending == nil {
                if entry.holding.unspent > 0 {
                    hold(LimitReservation(subject: entry.counter.name, slot: entry.counter.slot, count: entry.holding.unspent))
                    entry.holding.granted = entry.holding.spent
                }
                // The second just past is kept for what it spent (how much the next asks for).
                holdings[key] = entry.holding.second < second - 1 ? nil : entry
            }
        }
        let released = unspent.withLock { unspent in
            defer { unspent = [] }
            return unspent
        }
        do {
            try await store.release(released.sorted { ($0.subject, $0.slot) < ($1.subject, $1.slot) })
        } catch {
            unspent.withLock { $0.append(contentsOf: released) }
            throw error
        }
        if second % 60 == 0 { try await store.pruneLimitReservations(now: second) }
    }
}

extension LimitSubject {
    /// The subject's name in the shared table: the same on every instance.
    var clusterName: String {
        switch self {
        case .ip(let address): "ip \(address)"
        case .key(let id): "key \(id)"
        case .organization(let id, let livemode): "organization \(id) \(livemode ? "live" : "test")"
        case .route(let id, let livemode, let route): "route \(id) \(livemode ? "live" : "test") \(route)"
        }
    }
}
