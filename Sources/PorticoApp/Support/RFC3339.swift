import Foundation

/// RFC 3339 UTC timestamps with second precision, the API's one date format.
enum RFC3339 {
    static func string(milliseconds: Int64) -> String {
        let seconds = Int(milliseconds / 1_000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    static func date(_ string: String) -> Date? {
        try? Date(string, strategy: .iso8601)
    }
}
