import PorticoCore

/// A partition that exists, with the time range it covers.
package struct RequestLogPartitionInfo: Sendable, Equatable {
    package var name: String
    package var start: Int64
    /// Exclusive.
    package var end: Int64

    package init(name: String, start: Int64, end: Int64) {
        self.name = name
        self.start = start
        self.end = end
    }
}

/// Naming of the time-partitioned request-log tables, the same on every engine.
///
/// A partition is `request_logs_YYYYMMDDHH`, named by its UTC start. Its end
/// is the next partition's start (or start + width for the newest), so a
/// change of `request_logs.partition_hours` never hides rows.
package enum RequestLogPartition {
    static let prefix = "request_logs_"

    package static func name(start: Int64) -> String {
        let (year, month, day, hour) = CivilTime.components(milliseconds: start)
        return prefix + String(format: "%04d%02d%02d%02d", year, month, day, hour)
    }

    package static func start(name: String) -> Int64? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = Array(name.dropFirst(prefix.count))
        guard digits.count == 10, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        func number(_ range: Range<Int>) -> Int { Int(String(digits[range]))! }
        return CivilTime.milliseconds(year: number(0..<4), month: number(4..<6), day: number(6..<8), hour: number(8..<10))
    }

    /// The partition start that holds `milliseconds` for partitions `width` milliseconds wide.
    package static func start(of milliseconds: Int64, width: Int64) -> Int64 {
        CivilTime.floor(milliseconds, toMultipleOf: width)
    }

    /// The first id of rows created at `milliseconds`.
    package static func firstID(at milliseconds: Int64) -> Int64 { milliseconds << 12 }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
