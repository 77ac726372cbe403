import Testing

@testable import PorticoCore

@Suite struct TestModeParsingTests {
    @Test func forcedOutcomesParseAndBadValuesSayWhatIsAccepted() throws {
        #expect(try ForcedOutcome(header: "rate_limited") == .rateLimited)
        #expect(try ForcedOutcome(header: " server_error ") == .serverError)
        #expect(try ForcedOutcome(header: "upstream_timeout") == .upstreamTimeout)
        #expect(try ForcedOutcome(header: "upstream_unavailable") == .upstreamUnavailable)
        #expect(try ForcedOutcome(header: "slow=0") == .slow(milliseconds: 0))
        #expect(try ForcedOutcome(header: "slow=10000") == .slow(milliseconds: 10_000))
        for bad in ["", "RATE_LIMITED", "slow", "slow=", "slow=10001", "slow=+5", "slow=٣", "slow=99999999999999999999"] {
            #expect(throws: ForcedOutcomeError.self, "\(bad)") { try ForcedOutcome(header: bad) }
        }
        do {
            _ = try ForcedOutcome(header: "teapot")
        } catch {
            #expect(error.message.contains("rate_limited, server_error, slow=MS"))
        }
    }

    @Test func onlyTheFailHostSimulatesAndItsPathsAreClosed() throws {
        #expect(try SimulatedReceiver(try WebhookURL.parse("https://fail.portico.test/500")) == .serverError)
        #expect(try SimulatedReceiver(try WebhookURL.parse("http://FAIL.portico.test/410?x=1")) == .gone)
        #expect(try SimulatedReceiver(try WebhookURL.parse("https://fail.portico.test:8443/slow")) == .slow)
        #expect(try SimulatedReceiver(try WebhookURL.parse("https://example.com/500")) == nil)
        #expect(try SimulatedReceiver(try WebhookURL.parse("https://fail.portico.test.example.com/500")) == nil)
        #expect(throws: WebhookURLError.self) { try SimulatedReceiver(try WebhookURL.parse("https://fail.portico.test/")) }
        #expect(throws: WebhookURLError.self) { try SimulatedReceiver(try WebhookURL.parse("https://fail.portico.test/500/x")) }
    }
}
