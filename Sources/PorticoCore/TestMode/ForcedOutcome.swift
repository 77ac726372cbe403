import Foundation

/// What a test-mode request asked for in its `Portico-Test-Outcome` header,
/// so a client's error handling can be tested against the real responses:
/// a 429 with its rate-limit headers, a 500, a slow answer, the gateway's
/// 504 and 502. Live mode ignores the header (a forgotten header must never
/// change what a live request does).
package enum ForcedOutcome: Sendable, Equatable {
    case rateLimited
    case serverError
    /// Answer normally, after this many milliseconds (at most `maxDelayMilliseconds`).
    case slow(milliseconds: Int)
    case upstreamTimeout
    case upstreamUnavailable

    package static let headerName = "Portico-Test-Outcome"
    package static let maxDelayMilliseconds = 10_000
    /// The values the header takes, as documented and as listed in the error for a wrong one.
    package static let spellings = ["rate_limited", "server_error", "slow=MS", "upstream_timeout", "upstream_unavailable"]

    /// Parses a header value; throws with a sentence naming what is accepted.
    package init(header value: String) throws(ForcedOutcomeError) {
        let text = value.trimmingCharacters(in: .whitespaces)
        switch text {
        case "rate_limited": self = .rateLimited
        case "server_error": self = .serverError
        case "upstream_timeout": self = .upstreamTimeout
        case "upstream_unavailable": self = .upstreamUnavailable
        default:
            guard text.hasPrefix("slow=") else {
                throw ForcedOutcomeError(
                    "\(Self.headerName) must be one of \(Self.spellings.joined(separator: ", ")); '\(value.prefix(64))' is none of them."
                )
            }
            let digits = text.dropFirst("slow=".count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), digits.count <= 6, let milliseconds = Int(digits),
                milliseconds <= Self.maxDelayMilliseconds
            else {
                throw ForcedOutcomeError(
                    "\(Self.headerName): slow=MS takes a whole number of milliseconds from 0 to \(Self.maxDelayMilliseconds)."
                )
            }
            self = .slow(milliseconds: milliseconds)
        }
    }

    /// The sentence added to a forced error's detail, so nobody mistakes it for a real failure.
    package static let note = "This outcome was forced by the \(headerName) header (test mode only)."
}

package struct ForcedOutcomeError: Error, Equatable {
    package let message: String
    package init(_ message: String) { self.message = message }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
