import HTTPTypes
import PorticoCore

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
/// plus the common `X-RateLimit-Limit/Remaining/Reset`, all three about one
/// limit: the one closest to refusing, i.e. with the fewest requests left
/// (on a tie, the one that takes longer to reset; on a 429, the one that
/// refused). `X-RateLimit-Remaining` is therefore exactly how many more
/// requests may be made now. `X-RateLimit-Reset` is in seconds from now
/// (delta seconds, like the draft's `t`), not a Unix timestamp.
///
/// An authenticated request is told about its key's, organization's, route's
/// and quota's limits; the per-client-IP limits (an operator's flood guard,
/// normally far above any plan) are announced only to unauthenticated
/// requests and on the 429 they cause.
enum RateLimitHeaders {
    static func apply(_ states: [LimitState], authenticated: Bool, to headers: inout HTTPFields) {
        let refused = states.firstIndex(where: \.refused)
        let showIP = !authenticated || refused.map { states[$0].policy.isClientIP } == true
        // Sized first, then written straight into each header's one string: this runs on every request.
        var policyLength = 0
        var currentLength = 0
        var tightest: LimitState?
        for state in states where showIP || !state.policy.isClientIP {
            policyLength += state.policy.headerItem.utf8.count + 2
            currentLength += state.policy.rateLimitItemPrefix.utf8.count + 2 * ASCIIText.maxIntegerLength + 5
            if tightest.map({ state.isTighter(than: $0) }) ?? true { tightest = state }
        }
        if let refused { tightest = states[refused] }
        guard let tightest else { return }
        let policy = ASCIIText.render(capacity: policyLength) { text in
            for state in states where showIP || !state.policy.isClientIP {
                if !text.isEmpty { text.append(", ") }
                text.append(state.policy.headerItem)
            }
        }
        let current = ASCIIText.render(capacity: currentLength) { text in
            for state in states where showIP || !state.policy.isClientIP {
                if !text.isEmpty { text.append(", ") }
                text.append(state.policy.rateLimitItemPrefix)
                text.append(state.remaining)
                text.append(";t=")
                text.append(state.resetSeconds)
            }
        }
        headers.append(HTTPField(name: .rateLimitPolicy, value: policy))
        headers.append(HTTPField(name: .rateLimit, value: current))
        headers.append(HTTPField(name: .xRateLimitLimit, value: String(tightest.policy.quota)))
        headers.append(HTTPField(name: .xRateLimitRemaining, value: String(tightest.remaining)))
        headers.append(HTTPField(name: .xRateLimitReset, value: String(tightest.resetSeconds)))
    }
}

extension LimitState {
    /// Fewer requests left (a fraction of the quota would let a short burst
    /// bucket and a long window take turns from one response to the next);
    /// on a tie, the longer wait.
    func isTighter(than other: LimitState) -> Bool {
        remaining != other.remaining ? remaining < other.remaining : resetSeconds > other.resetSeconds
    }
}
