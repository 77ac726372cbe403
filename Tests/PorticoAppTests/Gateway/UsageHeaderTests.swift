import Testing

@testable import PorticoApp

struct UsageHeaderTests {
    static let declared = ["tokens": "Tokens", "pages": "Pages"]

    @Test func declaredIntegersAreMeteredAndEverythingElseIsCounted() {
        let report = UsageHeader("tokens=1234, pages=2, images=3, pages=5", declared: Self.declared)
        // A repeated member keeps its last value (RFC 9651 dictionaries).
        #expect(report.meters == [Meter(metric: "tokens", quantity: 1_234), Meter(metric: "pages", quantity: 5)])
        #expect(report.ignored == 1)
    }

    @Test(arguments: ["tokens=-1", "tokens=1.5", "tokens=\"7\"", "tokens=?1", "tokens=(1 2)"])
    func aValueThatIsNotANonNegativeIntegerIsIgnored(header: String) {
        let report = UsageHeader(header, declared: Self.declared)
        #expect(report.meters.isEmpty)
        #expect(report.ignored == 1)
    }

    @Test func aHeaderThatDoesNotParseIsIgnoredWhole() {
        let report = UsageHeader("tokens=1, ===", declared: Self.declared)
        #expect(report.meters.isEmpty)
        #expect(report.ignored == 1)
    }

    @Test func zeroIsAcceptedAndAddsNothing() {
        let report = UsageHeader("tokens=0", declared: Self.declared)
        #expect(report.meters.isEmpty)
        #expect(report.ignored == 0)
    }
}
