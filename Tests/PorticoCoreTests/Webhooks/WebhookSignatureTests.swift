import Foundation
import Testing

@testable import PorticoCore

struct WebhookSignatureTests {
    /// The Standard Webhooks reference vector (also what the Python `standardwebhooks` library produces).
    @Test func matchesTheStandardWebhooksVector() throws {
        let secret = try #require(WebhookSecret(text: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Data(#"{"test": 2432232314}"#.utf8),
            secret: secret
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aRotationSignsWithBothSecretsAndEitherVerifies() throws {
        let old = WebhookSecret.generate()
        let new = WebhookSecret.generate()
        #expect(old != new)
        let body = Data(#"{"type":"customer.created"}"#.utf8)
        let header = WebhookSignature.header(id: "msg_1", timestamp: 1_800_000_000, body: body, secrets: [new, old])
        #expect(header.split(separator: " ").count == 2)
        #expect(WebhookSignature.verify(header: header, id: "msg_1", timestamp: 1_800_000_000, body: body, secret: old))
        #expect(WebhookSignature.verify(header: header, id: "msg_1", timestamp: 1_800_000_000, body: body, secret: new))
        // Any change to id, timestamp or body breaks it.
        #expect(!WebhookSignature.verify(header: header, id: "msg_2", timestamp: 1_800_000_000, body: body, secret: new))
        #expect(!WebhookSignature.verify(header: header, id: "msg_1", timestamp: 1_800_000_001, body: body, secret: new))
        #expect(!WebhookSignature.verify(header: header, id: "msg_1", timestamp: 1_800_000_000, body: Data("{}".utf8), secret: new))
    }

    @Test func secretsAreWhsecBase64Of24To64Bytes() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.text.hasPrefix("whsec_"))
        #expect(Data(base64Encoded: String(secret.text.dropFirst(6)))?.count == 32)
        #expect(WebhookSecret(text: "whsec_" + Data(count: 23).base64EncodedString()) == nil)
        #expect(WebhookSecret(text: "whsec_" + Data(count: 65).base64EncodedString()) == nil)
        #expect(WebhookSecret(text: "whsec_" + Data(count: 64).base64EncodedString()) != nil)
        #expect(WebhookSecret(text: "sk_" + Data(count: 32).base64EncodedString()) == nil)
        #expect(WebhookSecret(text: "whsec_not base64!") == nil)
    }
}

struct RetryPolicyTests {
    @Test func theScheduleWithItsJitterBounds() {
        let policy = RetryPolicy.standard
        let expected: [Int64] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
        #expect(policy.maxAttempts == 8)
        for (index, seconds) in expected.enumerated() {
            guard case .retry(let shortest) = policy.decide(attempt: index + 1, status: 500, jitterSample: 0),
                case .retry(let longest) = policy.decide(attempt: index + 1, status: 500, jitterSample: 1)
            else {
                Issue.record("attempt \(index + 1) should retry")
                continue
            }
            #expect(shortest == seconds * 800, "attempt \(index + 1)")
            #expect(longest == seconds * 1_200, "attempt \(index + 1)")
            var random = SystemRandomNumberGenerator()
            for _ in 0..<20 {
                guard case .retry(let drawn) = policy.decide(attempt: index + 1, status: 500, random: &random) else { continue }
                #expect((shortest...longest).contains(drawn))
            }
        }
        var random = SystemRandomNumberGenerator()
        #expect(policy.decide(attempt: 8, status: 500, random: &random) == .dead)
        #expect(policy.decide(attempt: 8, status: nil, random: &random) == .dead)
    }

    @Test func onlyTwoHundredsSucceedAnd410Disables() {
        var random = SystemRandomNumberGenerator()
        let policy = RetryPolicy.standard
        for status in [200, 201, 204, 299] { #expect(policy.decide(attempt: 1, status: status, random: &random) == .succeeded) }
        for status in [100, 301, 302, 304, 400, 404, 500, 502] {
            guard case .retry = policy.decide(attempt: 1, status: status, random: &random) else {
                Issue.record("\(status) should be retried")
                continue
            }
        }
        #expect(policy.decide(attempt: 3, status: 410, random: &random) == .disableEndpoint)
        guard case .retry = policy.decide(attempt: 1, status: nil, random: &random) else {
            Issue.record("no response should retry")
            return
        }
    }

    @Test func retryAfterIsHonouredWithinBoundsOnlyFor429And503() {
        let policy = RetryPolicy.standard
        #expect(policy.decide(attempt: 1, status: 429, retryAfterSeconds: 120, jitterSample: 0.5) == .retry(afterMilliseconds: 120_000))
        #expect(policy.decide(attempt: 1, status: 503, retryAfterSeconds: 60, jitterSample: 0.5) == .retry(afterMilliseconds: 60_000))
        // Capped at the longest step, and never shorter than the schedule.
        #expect(policy.decide(attempt: 1, status: 429, retryAfterSeconds: 999_999, jitterSample: 0.5) == .retry(afterMilliseconds: 36_000_000))
        #expect(policy.decide(attempt: 2, status: 429, retryAfterSeconds: 1, jitterSample: 0.5) == .retry(afterMilliseconds: 300_000))
        // Other statuses ignore it.
        #expect(policy.decide(attempt: 1, status: 500, retryAfterSeconds: 120, jitterSample: 0.5) == .retry(afterMilliseconds: 5_000))
    }
}
