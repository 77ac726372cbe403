import Logging
import PorticoCore
import PorticoStore
import Synchronization

/// Rate limits shared by every instance on one PostgreSQL database (docs/scaling.md).
///
/// **Algorithm.** Each limit's capacity is handed out by the database as
/// reservations counted in one-second slots (`LimitReservationStore`): a
/// reservation is granted only while the reservations in the policy's window
/// (the current second for a burst limit, the last 60 one-second slots for a
/// minute limit) stay within the limit, decided one at a time per subject. An
/// instance admits a request only against a reservation it holds for the
/// current second, asking for more when it runs out (one round trip, shared
/// by the requests that wait for it) and asking for more at once the busier
/// the subject was: the previous second's use, doubling within a second, at
/// most a quarter of the limit.
///
/// **Error bound.** Over-admission is zero: together the instances never admit
/// more than the limit in any window of the policy, measured in whole seconds.
/// The error is the other way, and bounded too: an instance may refuse while
/// another still holds unspent reservations of the same second (at most that
/// second's; unspent ones go back within ~250 ms after their second), and a
/// request refused by a later limit has still spent its reservation. An
/// instance killed with SIGKILL keeps what it held unspent for the rest of the
/// window (at most a minute). If the database cannot be asked, requests are
/// admitted on the instance's own limits alone (logged): limits never take the
/// API down.
///
/// Each instance still applies its own limiter (`RateLimiter`) first, which
/// gives the `RateLimit` headers their figures; this is the cluster-wide check after it.
final class ClusterLimiter: Sendable {
    /// What this instance holds of one subject's limit in one second.
    private struct Holding: Sendable {
        var slot: Int64
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

    private let holdings = Mutex<[String: Holding]>([:])
    private let unspent = Mutex<[LimitReservation]>([])
    private let store: any LimitReservationStore
    private let logger: Logger

    init(store: any LimitReservationStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Whether one more request of `subject` fits `policy` across every instance at `now`;
    /// counts it when it does.
    func admit(_ subject: LimitSubject, _ policy: LimitPolicy, now: Int64) async -> Bool {
        let name = subject.clusterName + " " + policy.name
        var slot = now / 1_000
        while true {
            let step: Step = holdings.withLock { holdings in
                var holding = holdings[name] ?? Holding(slot: slot)
                if holding.slot < slot {
                    if holding.unspent > 0 { hold(LimitReservation(subject: name, slot: holding.slot, count: holding.unspent)) }
                    let spentBefore = holding.slot == slot - 1 ? holding.spent : 0
                    holding = Holding(slot: slot)
                    holding.spentBefore = spentBefore
                } else if holding.slot > slot {
                    slot = holding.slot  // a late request counts in the second it is admitted in
                }
                defer { holdings[name] = holding }
                if holding.unspent > 0 {
                    holding.spent += 1
                    return .admitted
                }
                if holding.exhausted { return .refused }
                if let pending = holding.pending { return .wait(pending) }
                let want = max(1, min(max(holding.spentBefore, holding.granted), Int64(policy.quota / 4)))
                let task = reservation(name, slot: slot, policy: policy, want: want)
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

    /// Asks the database for `want` more of `policy` in `slot`; what it grants is added to
    /// the holding (or, if the second has passed meanwhile, given back).
    private func reservation(_ name: String, slot: Int64, policy: LimitPolicy, want: Int64) -> Task<Int64?, Never> {
        Task {
            let granted: Int64?
            do {
                granted = try await store.reserve(
                    subject: name,
                    slot: slot,
                    window: Int64(policy.windowSeconds),
                    limit: Int64(policy.quota),
                    want: want
                )
            } catch {
                logger.warning("shared rate limit unavailable; admitting on this instance's limits", metadata: ["error": "\(error)"])
                granted = nil
            }
            holdings.withLock { holdings in
                guard var holding = holdings[name], holding.slot == slot else {
                    if let granted, granted > 0 { hold(LimitReservation(subject: name, slot: slot, count: granted)) }
                    return
                }
                holding.pending = nil
                if let granted {
                    holding.granted += granted
                    holding.exhausted = granted == 0
                }
                holdings[name] = holding
            }
            return granted
        }
    }

    private func hold(_ reservation: LimitReservation) {
        unspent.withLock { $0.append(reservation) }
    }

    /// Gives back what past seconds left unspent and forgets idle subjects; every minute or so
    /// also clears old slots from the database. Run every ~250 ms (`PeriodicService`).
    func settle(now: Int64) async throws {
        let slot = now / 1_000
        holdings.withLock { holdings in
            for (name, holding) in holdings where holding.slot < slot && holding.pending == nil {
                if holding.unspent > 0 { hold(LimitReservation(subject: name, slot: holding.slot, count: holding.unspent)) }
                holdings[name] = nil
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
        if slot % 60 == 0 { try await store.pruneLimitReservations(before: slot - 120) }
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
