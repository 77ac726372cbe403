import Dispatch
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
/// and only while it was that busy); a graceful stop gives everything back.
/// If the database fails or does not answer within `answerTimeout`, requests
/// are admitted on the instance's own limits alone (`.unchecked`, logged):
/// limits never take the API down nor hold a request longer than that. A
/// reservation for a second just past counts every window holding it, so it
/// cannot overfill a later window (`LimitReservationStore.reserve`).
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
    }

    /// What `admit` decided.
    enum Decision: Sendable, Equatable {
        /// Counted against a reservation this instance holds.
        case reserved
        /// The database could not be asked in time: admitted on this instance's own limits, not counted.
        case unchecked
        case refused

        var admits: Bool { self != .refused }
    }

    /// How long a request waits for the database's answer before it goes on unchecked.
    /// Long enough for a loaded database (a new pool's first connection included), short
    /// enough that a hung one holds no request for long.
    static let answerTimeout: Duration = .seconds(5)
    /// Reservations waiting to go back while the database is away, at most.
    private static let maximumUnreleased = 10_000

    /// What this instance holds of one counter in one second.
    private struct Holding: Sendable {
        var second: Int64
        var granted: Int64 = 0
        var spent: Int64 = 0
        /// What the previous second spent: how much to ask for at once.
        var spentBefore: Int64 = 0
        /// The database said the limit is spent for this second.
        var exhausted = false
        /// Requests admitted unchecked this second (the database did not answer): their refunds give back nothing.
        var unchecked: Int64 = 0
        /// The reservation being asked for, which requests wait on, and its number.
        var pending: Task<Int64?, Never>?
        var pendingNumber: UInt64 = 0

        var unspent: Int64 { granted - spent }
    }

    private enum Step {
        case admitted
        /// The database failed lately: admitted on this instance's limits without asking.
        case unchecked
        case refused
        case wait(Task<Int64?, Never>)
    }

    /// By counter name: the counter (its current slot) and what is held of it this second.
    private let holdings = Mutex<[String: (counter: Counter, holding: Holding)]>([:])
    private let unspent = Mutex<[LimitReservation]>([])
    private let reservations = Atomic<UInt64>(0)
    /// Until when requests go on unchecked without asking (`DispatchTime` nanoseconds): the
    /// database failed or did not answer lately, and each check would otherwise wait
    /// `answerTimeout` again. Set when the failure is known, not when the request began.
    private let unavailable = Unavailable()
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
    func admit(_ counter: Counter, now: Int64) async -> Decision {
        var second = now / 1_000
        var counter = counter
        let key = counter.name
        while true {
            let step: Step = holdings.withLock { holdings in
                var holding = holdings[key]?.holding ?? Holding(second: second)
                if holding.second < second {
                    // What the past second left goes back to the slot it was reserved in.
                    if let held = holdings[key]?.counter, holding.unspent > 0 {
                        hold(LimitReservation(subject: held.name, slot: held.slot, count: holding.unspent))
                    }
                    let spentBefore = holding.second == second - 1 ? holding.spent : 0
                    holding = Holding(second: second)
                    holding.spentBefore = spentBefore
                } else if holding.second > second, let held = holdings[key]?.counter {
                    // A late request counts in the second (and slot) it is admitted in.
                    second = holding.second
                    counter = held
                }
                defer { holdings[key] = (counter, holding) }
                if holding.unspent > 0 {
                    holding.spent += 1
                    return .admitted
                }
                if holding.exhausted { return .refused }
                if let pending = holding.pending { return .wait(pending) }
                if unavailable.now {
                    holding.unchecked += 1  // counted nowhere: its refund gives back nothing
                    return .unchecked
                }
                let want = max(1, min(max(holding.spentBefore, holding.granted), counter.limit / 4))
                let number = reservations.add(1, ordering: .relaxed).newValue
                let task = reservation(counter, second: second, want: want, number: number)
                holding.pending = task
                holding.pendingNumber = number
                return .wait(task)
            }
            switch step {
            case .admitted: return .reserved
            case .unchecked: return .unchecked
            case .refused: return .refused
            case .wait(let task):
                guard await task.value == nil else { continue }
                // The database could not be asked: this instance's own limit decided (and decides
                // alone for `Unavailable.retryAfter` before the database is asked again).
                holdings.withLock { holdings in
                    if var entry = holdings[key], entry.holding.second == second {
                        entry.holding.unchecked += 1
                        holdings[key] = entry
                    }
                }
                return .unchecked
            }
        }
    }

    /// Gives back one request `admit` counted at `at` (a later limit refused it).
    func refund(_ counter: Counter, at: Int64) {
        holdings.withLock { holdings in
            guard var entry = holdings[counter.name], entry.holding.second == at / 1_000 else {
                hold(LimitReservation(subject: counter.name, slot: counter.slot, count: 1))
                return
            }
            if entry.holding.unchecked > 0 {
                entry.holding.unchecked -= 1  // counted nowhere: nothing to give back
            } else if entry.holding.spent > 0 {
                entry.holding.spent -= 1
            }
            holdings[counter.name] = entry
        }
    }

    /// Asks the database for `want` more of `counter`. The task answers with what was granted,
    /// or nil when the database failed or did not answer within `answerTimeout`: requests
    /// must not wait on a database that hangs. Whatever it grants, even after that, is added
    /// to the holding of `second` or given back (`give`).
    private func reservation(_ counter: Counter, second: Int64, want: Int64, number: UInt64) -> Task<Int64?, Never> {
        Self.answer(within: Self.answerTimeout) {
            var granted: Int64?
            do {
                granted = try await self.reserve(counter, want: want)
            } catch {
                self.unavailable.begin()
                self.logger.warning("shared rate limit unavailable; admitting on this instance's limits", metadata: ["error": "\(error)"])
            }
            self.give(granted, of: counter, second: second, number: number)
            return granted
        } late: {
            self.unavailable.begin()
            self.logger.warning("shared rate limit did not answer in time; admitting on this instance's limits")
            self.give(nil, of: counter, second: second, number: number)
        }
    }

    /// A task answering with what `operation` returns, or with nil once `timeout` has passed
    /// first (`late` runs then; the operation still runs to its end). `withThrowingTaskGroup`
    /// would wait for a hung query: a request must not.
    static func answer<T: Sendable>(
        within timeout: Duration,
        _ operation: @escaping @Sendable () async -> T?,
        late: @escaping @Sendable () -> Void
    ) -> Task<T?, Never> {
        Task {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                let answered = Atomic<Bool>(false)
                let answer: @Sendable (T?) -> Void = { value in
                    if !answered.exchange(true, ordering: .acquiringAndReleasing) { continuation.resume(returning: value) }
                }
                Task { answer(await operation()) }
                Task {
                    try? await Task.sleep(for: timeout)
                    if !answered.load(ordering: .acquiring) { late() }
                    answer(nil)
                }
            }
        }
    }

    /// Adds what the database granted to the holding of `second`, or gives it back when that
    /// holding has moved on; ends reservation `number`'s wait (nil: nothing granted).
    private func give(_ granted: Int64?, of counter: Counter, second: Int64, number: UInt64) {
        holdings.withLock { holdings in
            guard var entry = holdings[counter.name], entry.holding.second == second, entry.counter.slot == counter.slot else {
                if let granted, granted > 0 { hold(LimitReservation(subject: counter.name, slot: counter.slot, count: granted)) }
                return
            }
            let waitedOn = entry.holding.pendingNumber == number && entry.holding.pending != nil
            if waitedOn { entry.holding.pending = nil }
            if let granted {
                entry.holding.granted += granted
                if waitedOn { entry.holding.exhausted = granted == 0 }
            }
            holdings[counter.name] = entry
        }
    }

    private func reserve(_ counter: Counter, want: Int64) async throws -> Int64 {
        if let committed = counter.committed {
            return try await store.reserve(quota: counter.name, slot: counter.slot, quota: counter.limit, want: want, committed: committed)
        }
        return try await store.reserve(subject: counter.name, slot: counter.slot, window: counter.window, limit: counter.limit, want: want)
    }

    private func hold(_ reservation: LimitReservation) {
        unspent.withLock { $0.append(reservation) }
    }

    /// Gives back what past seconds left unspent and forgets idle counters; every minute or so
    /// also clears expired slots from the database. Run every ~250 ms (`SharedLimitsService`);
    /// `final` (at shutdown) gives back the current second's too.
    func settle(now: Int64, final: Bool = false) async throws {
        let second = final ? Int64.max : now / 1_000
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
            // One atomic statement: a failed release is retried whole, never in part twice.
            try await store.release(released)
        } catch {
            // Kept for the next try, up to a bound: what is dropped stays reserved (a refusal too many, never an admission).
            unspent.withLock { $0 = Array((released + $0).suffix(Self.maximumUnreleased)) }
            throw error
        }
        if !final, (now / 1_000) % 60 == 0 { try await store.pruneLimitReservations(now: now / 1_000) }
    }
}

/// A database that failed lately, for `retryAfter`: the shared checks skip it meanwhile.
final class Unavailable: Sendable {
    static let retryAfter: Duration = .seconds(5)
    private let until = Atomic<UInt64>(0)

    /// The database just failed or did not answer.
    func begin() {
        let (seconds, attoseconds) = Self.retryAfter.components
        until.store(DispatchTime.now().uptimeNanoseconds + UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000), ordering: .relaxed)
    }

    /// Whether it failed within the last `retryAfter`.
    var now: Bool { DispatchTime.now().uptimeNanoseconds < until.load(ordering: .relaxed) }
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
