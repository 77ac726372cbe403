import HTTPTypes

extension HTTPField.Name {
    static let rateLimitPolicy = Self("RateLimit-Policy")!
    static let rateLimit = Self("RateLimit")!
    static let xRateLimitLimit = Self("X-RateLimit-Limit")!
    static let xRateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let xRateLimitReset = Self("X-RateLimit-Reset")!
}

/// Writes the limits that applied to a request as response headers, in the
/// syntax of draft-ietf-httpapi-ratelimit-headers (-08 onwards):
///
///     RateLimit-Policy: "key-burst";q=10;w=1, "key-minute";q=100;w=60
///     RateLimit: "key-burst";r=9;t=1, "key-minute";r=99;t=60
///
/// plus the common `X-RateLimit-Limit/Remaining/Reset` for the limit closest
/// to running out. `X-RateLimit-Reset` is in seconds from now (delta
/// seconds, like the draft's `t`), not a Unix timestamp.
enum RateLimitHeaders {
    static func apply(_ states: [LimitState], to headers: inout HTTPFields) {
        guard !states.isEmpty else { return }
        // Built by appending into one buffer each: this runs on every request.
        var policy = ""
        var current = ""
        policy.reserveCapacity(states.count * 36)
        current.reserveCapacity(states.count * 36)
        for (index, state) in states.enumerated() {
            if index > 0 {
                policy += ", "
                current += ", "
            }
            policy += "\""
            policy += state.policy.name
            policy += "\";q="
            policy += String(state.policy.quota)
            policy += ";w="
            policy += String(state.policy.windowSeconds)
            current += "\""
            current += state.policy.name
            current += "\";r="
            current += String(state.remaining)
            current += ";t="
            current += String(state.resetSeconds)
        }
        headers[.rateLimitPolicy] = policy
        headers[.rateLimit] = current
        let tightest = tightest(states)
        headers[.xRateLimitLimit] = String(tightest.policy.quota)
        headers[.xRateLimitRemaining] = String(tightest.remaining)
        headers[.xRateLimitReset] = String(tightest.resetSeconds)
    }

    /// The refused limit if any, else the one with the least room left (as a fraction of its quota).
    static func tightest(_ states: [LimitState]) -> LimitState {
        if let refused = states.first(where: \.refused) { return refused }
        return states.min { lhs, rhs in
            Double(lhs.remaining) / Double(max(1, lhs.policy.quota)) < Double(rhs.remaining) / Double(max(1, rhs.policy.quota))
        }!
    }
}
