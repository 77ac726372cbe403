import PorticoCore
import Testing

@testable import PorticoApp

/// Real name resolution under the SSRF policy and the operator's allowlist.
struct WebhookTargetTests {
    @Test func aNameResolvingToLoopbackIsRefusedUnlessAllowlisted() async throws {
        let url = try WebhookURL.parse("http://localhost:9/hook")
        await #expect(throws: WebhookTarget.Failure.self) { try await WebhookTarget.resolve(url, policy: AddressPolicy()) }
        do {
            _ = try await WebhookTarget.resolve(url, policy: AddressPolicy())
        } catch {
            if case .blocked(_, .loopback) = error {
                #expect(error.message.contains("loopback"))
            } else {
                Issue.record("expected loopback, got \(error)")
            }
        }
        let sandbox = AddressPolicy(allowlist: [CIDR("127.0.0.0/8")!, CIDR("::1")!])
        let addresses = try await WebhookTarget.resolve(url, policy: sandbox)
        #expect(addresses.contains(.v4([127, 0, 0, 1])) || addresses.contains(.v6(Array(repeating: 0, count: 15) + [1])))
        // The allowlist admits only what it names.
        let literal = try WebhookURL.parse("http://10.0.0.1/")
        await #expect(throws: WebhookTarget.Failure.self) { try await WebhookTarget.resolve(literal, policy: sandbox) }
    }

    @Test func anUnknownNameIsADNSFailure() async throws {
        let url = try WebhookURL.parse("https://no-such-host.invalid/hook")
        do {
            _ = try await WebhookTarget.resolve(url, policy: AddressPolicy())
            Issue.record("resolved an .invalid name")
        } catch {
            #expect(error == .dns("no-such-host.invalid"))
        }
    }
}
