import Synchronization

/// Failed sign-ins per account (by email, whether or not it exists), so a
/// password cannot be guessed faster than `attempts` per `window`. The
/// answer is the same for an unknown email and a wrong password, throttled
/// or not, so the form does not reveal who has an account. Memory is
/// bounded: expired entries go first, and past `capacity` the table is reset.
final class LoginThrottle: Sendable {
    private let attempts: Int
    private let windowMilliseconds: Int64
    private let capacity: Int
    private let failures = Mutex<[String: [Int64]]>([:])

    init(attempts: Int, windowMinutes: Int, capacity: Int = 100_000) {
        self.attempts = attempts
        self.windowMilliseconds = Int64(windowMinutes) * 60_000
        self.capacity = capacity
    }

    /// Milliseconds until the account may try again, or nil when it may now.
    func retryAfter(_ email: String, now: Int64) -> Int64? {
        failures.withLock { failures in
            let recent = (failures[email] ?? []).filter { $0 > now - windowMilliseconds }
            guard recent.count >= attempts, let oldest = recent.min() else { return nil }
            return oldest + windowMilliseconds - now
        }
    }

    /// `reason` followed by how long `key` must wait ("Try again in 3 minutes."), or nil when it may try now.
    func refusal(_ key: String, now: Int64, _ reason: String) -> String? {
        guard let wait = retryAfter(key, now: now) else { return nil }
        let minutes = max(1, Int((wait + 59_999) / 60_000))
        return "\(reason) Try again in \(minutes) minute\(minutes == 1 ? "" : "s")."
    }

    func recordFailure(_ email: String, now: Int64) {
        failures.withLock { failures in
            if failures.count >= capacity {
                failures = failures.filter { $0.value.contains { $0 > now - windowMilliseconds } }
                if failures.count >= capacity { failures.removeAll() }
            }
            var recent = (failures[email] ?? []).filter { $0 > now - windowMilliseconds }
            recent.append(now)
            failures[email] = recent
        }
    }

    func recordSuccess(_ email: String) {
        _ = failures.withLock { $0.removeValue(forKey: email) }
    }
}
