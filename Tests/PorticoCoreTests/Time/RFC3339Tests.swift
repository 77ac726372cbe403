import Foundation
import Testing

@testable import PorticoCore

struct RFC3339Tests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (Int64(1_763_805_600_999), "2025-11-22T10:00:00Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00Z"),
        (Int64(253_402_300_799_000), "9999-12-31T23:59:59Z"),
    ])
    func formatsUTCSeconds(milliseconds: Int64, expected: String) {
        #expect(RFC3339.string(milliseconds: milliseconds) == expected)
        #expect(RFC3339.date(expected).map { Int64($0.timeIntervalSince1970) } == milliseconds / 1_000)
    }
}
