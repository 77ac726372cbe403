import Foundation

/// UTC calendar arithmetic on milliseconds without Foundation's calendars
/// (Howard Hinnant's days-from-civil algorithms).
package enum CivilTime {
    package static func components(milliseconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int) {
        let seconds = milliseconds >= 0 ? milliseconds / 1_000 : (milliseconds - 999) / 1_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let hour = Int((seconds - days * 86_400) / 3_600)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day, hour)
    }

    /// The month containing `milliseconds` as `2026-11` (usage months, invoice periods).
    package static func monthLabel(_ milliseconds: Int64) -> String {
        let parts = components(milliseconds: milliseconds)
        return String(format: "%04d-%02d", parts.year, parts.month)
    }

    package static func milliseconds(year: Int, month: Int, day: Int, hour: Int = 0) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return (days * 86_400 + Int64(hour) * 3_600) * 1_000
    }

    /// Start of the UTC calendar month holding `milliseconds`, and of the next one.
    package static func month(containing milliseconds: Int64) -> (start: Int64, end: Int64) {
        let (year, month, _, _) = components(milliseconds: milliseconds)
        let start = self.milliseconds(year: year, month: month, day: 1)
        let end = month == 12 ? self.milliseconds(year: year + 1, month: 1, day: 1) : self.milliseconds(year: year, month: month + 1, day: 1)
        return (start, end)
    }

    /// Start of the UTC day holding `milliseconds`.
    package static func dayStart(_ milliseconds: Int64) -> Int64 {
        floor(milliseconds, toMultipleOf: 86_400_000)
    }

    /// Start of the UTC hour holding `milliseconds`.
    package static func hourStart(_ milliseconds: Int64) -> Int64 {
        floor(milliseconds, toMultipleOf: 3_600_000)
    }

    /// The largest multiple of `width` at or before `milliseconds` (also before 1970).
    package static func floor(_ milliseconds: Int64, toMultipleOf width: Int64) -> Int64 {
        milliseconds - ((milliseconds % width) + width) % width
    }
}
