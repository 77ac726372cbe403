/// The periods a request quota runs over, both in UTC.
package enum QuotaPeriod: Sendable, Hashable {
    case day
    case month

    /// Start (inclusive) and end (exclusive) of the period holding `now`.
    package func bounds(containing now: Int64) -> (start: Int64, end: Int64) {
        switch self {
        case .day:
            let start = CivilTime.dayStart(now)
            return (start, start + 86_400_000)
        case .month:
            return CivilTime.month(containing: now)
        }
    }
}
