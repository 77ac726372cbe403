import Foundation
import PorticoCore

/// Parsers for query-string values, each failing with a 400 that names the parameter.
enum QueryValue {
    /// A time as RFC 3339 (`2026-11-22T10:00:00Z`) or Unix seconds; returns milliseconds.
    static func time(_ text: String?, _ param: String) throws -> Int64? {
        guard let text else { return nil }
        if let seconds = Int64(text), seconds >= 0, seconds < 100_000_000_000 { return seconds * 1_000 }
        guard let date = RFC3339.date(text) else {
            throw APIError.invalid(param, "\(param) must be an RFC 3339 time (2026-11-22T10:00:00Z) or Unix seconds.")
        }
        return date.milliseconds
    }

    static func integer(_ text: String?, _ param: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.invalid(param, "\(param) must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    /// Refuses the first (in name order) of `names` that is not `allowed`.
    static func refuseUnknown(_ names: some Sequence<String>, allowed: Set<String>) throws {
        if let unknown = names.sorted().first(where: { !allowed.contains($0) }) { throw APIError.unknownParameter(unknown) }
    }

    static func choice(_ text: String?, _ param: String, _ choices: [String]) throws -> String? {
        guard let text else { return nil }
        guard choices.contains(text) else {
            throw APIError.invalid(param, "\(param) must be one of \(choices.joined(separator: ", ")).")
        }
        return text
    }
}
