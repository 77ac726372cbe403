import Foundation

/// The `Date` header value (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT")
/// for the current second. Hummingbird stamps a value it refreshes once a
/// second on a timer, so it can trail the clock by a second or more under
/// load; `HTTPPhaseHandler` restamps every response head with this one,
/// formatted at most once per second per connection.
struct HTTPDate {
    private var second: time_t = -1
    private var text = ""

    /// Now, to the second.
    mutating func now() -> String {
        let current = time(nil)
        if current != second {
            second = current
            text = Self.format(current)
        }
        return text
    }

    static func format(_ seconds: time_t) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
