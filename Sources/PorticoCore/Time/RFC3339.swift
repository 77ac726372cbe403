import Foundation

/// RFC 3339 UTC timestamps with second precision, the API's one date format.
package enum RFC3339 {
    /// `YYYY-MM-DDTHH:MM:SSZ`, written digit by digit (`String(format:)` cost
    /// more than the rest of rendering a resource; every object has two dates).
    package static func string(milliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        append(milliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same twenty bytes, appended (the API's JSON writer puts them straight into a response).
    package static func append(milliseconds: Int64, to bytes: inout [UInt8]) {
        var time = time_t(milliseconds / 1_000)
        var parts = tm()
        gmtime_r(&time, &parts)
        func put(_ value: Int32, _ digits: Int) {
            var divisor: Int32 = 1
            for _ in 1..<digits { divisor *= 10 }
            var value = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                value %= divisor
                divisor /= 10
            }
        }
        put(parts.tm_year + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        put(parts.tm_mon + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        put(parts.tm_mday, 2)
        bytes.append(UInt8(ascii: "T"))
        put(parts.tm_hour, 2)
        bytes.append(UInt8(ascii: ":"))
        put(parts.tm_min, 2)
        bytes.append(UInt8(ascii: ":"))
        put(parts.tm_sec, 2)
        bytes.append(UInt8(ascii: "Z"))
    }

    package static func date(_ string: String) -> Date? {
        try? Date(string, strategy: .iso8601)
    }
}
