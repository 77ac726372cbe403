/// When a failed delivery is tried again, and when it gives up: a pure
/// function of the attempt number, the response and a random source, so it
/// is unit-tested without a clock.
///
/// Schedule after each failed attempt (±20% jitter): 5 s, 5 min, 30 min, 2 h,
/// 5 h, 10 h, 10 h; the first attempt is immediate, so a delivery gets eight
/// attempts in all and is dead after the eighth failure. A `Retry-After` on a
/// 429 or 503 is honoured when it asks for more than the schedule, up to the
/// longest step (10 h). A 410 Gone disables the endpoint at once.
package struct RetryPolicy: Sendable, Equatable {
    /// Delay before attempt 2, 3, … in seconds (attempt 1 is immediate).
    var delays: [Int64] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
    var jitter = 0.2

    package static let standard = RetryPolicy()

    package enum Decision: Sendable, Equatable {
        /// Done: a 2xx.
        case succeeded
        /// Try again this many milliseconds after the failed attempt.
        case retry(afterMilliseconds: Int64)
        /// Every attempt failed.
        case dead
        /// The receiver said 410 Gone: stop and disable the endpoint.
        case disableEndpoint
    }

    /// What to do after attempt number `attempt` (1-based) ended with `status`
    /// (nil when no HTTP response came back) and an optional `Retry-After` in seconds.
    package func decide(
        attempt: Int,
        status: Int?,
        retryAfterSeconds: Int64? = nil,
        random: inout some RandomNumberGenerator
    ) -> Decision {
        decide(attempt: attempt, status: status, retryAfterSeconds: retryAfterSeconds, jitterSample: Double.random(in: 0...1, using: &random))
    }

    /// `decide` with the jitter drawn already: `jitterSample` in 0...1 maps
    /// onto −20%…+20% (tests pin the bounds with 0 and 1).
    func decide(attempt: Int, status: Int?, retryAfterSeconds: Int64? = nil, jitterSample: Double) -> Decision {
        if let status, (200..<300).contains(status) { return .succeeded }
        if status == 410 { return .disableEndpoint }
        guard attempt >= 1, attempt <= delays.count else { return .dead }
        let base = Double(delays[attempt - 1])
        var delay = base * (1 - jitter + 2 * jitter * min(1, max(0, jitterSample)))
        if let retryAfterSeconds, status == 429 || status == 503 {
            delay = max(delay, min(Double(retryAfterSeconds), Double(delays.max() ?? 0)))
        }
        return .retry(afterMilliseconds: Int64((delay * 1_000).rounded()))
    }

    /// How many attempts a delivery gets before it is dead.
    package var maxAttempts: Int { delays.count + 1 }
}
