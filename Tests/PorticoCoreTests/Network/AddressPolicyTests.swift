import Testing

@testable import PorticoCore

/// The SSRF matrix: every refused class, the odd IPv4 notations and URL
/// shapes (name resolution is the app's: `WebhookTargetTests`).
struct AddressPolicyTests {
    static func classify(_ host: String) -> AddressPolicy.Refusal? {
        let url = try? WebhookURL.parse("http://\(host)/hook")
        guard case .address(let address)? = url?.host else {
            Issue.record("\(host) did not parse as an address")
            return nil
        }
        return AddressPolicy.classify(address)
    }

    @Test(arguments: [
        ("0.0.0.0", AddressPolicy.Refusal.unspecified), ("127.0.0.1", .loopback), ("127.255.0.9", .loopback),
        ("10.1.2.3", .private), ("172.16.0.1", .private), ("172.31.255.254", .private), ("192.168.1.1", .private),
        ("100.64.0.1", .cgnat), ("100.127.255.254", .cgnat), ("169.254.169.254", .linkLocal), ("224.0.0.1", .multicast),
        ("239.255.255.250", .multicast), ("255.255.255.255", .broadcast), ("240.0.0.1", .reserved), ("192.0.0.8", .reserved),
        ("192.0.2.10", .documentation), ("198.51.100.7", .documentation), ("203.0.113.200", .documentation),
        ("198.18.0.1", .benchmark), ("198.19.255.1", .benchmark), ("192.88.99.1", .sixToFour),
        // IPv6
        ("[::]", .unspecified), ("[::1]", .loopback), ("[fc00::1]", .uniqueLocal), ("[fd12:3456::1]", .uniqueLocal),
        ("[fe80::1]", .linkLocal), ("[fec0::1]", .siteLocal), ("[ff02::1]", .multicast), ("[::ffff:127.0.0.1]", .ipv4Mapped),
        ("[::ffff:8.8.8.8]", .ipv4Mapped), ("[::127.0.0.1]", .ipv4Compatible), ("[64:ff9b::7f00:1]", .nat64),
        ("[64:ff9b:1::a00:1]", .nat64), ("[2002:7f00:1::]", .sixToFour), ("[2001:0:4136:e378::1]", .teredo),
        ("[2001:db8::1]", .documentation), ("[100::1]", .reserved),
        // IPv4 in decimal, octal, hex and short forms
        ("2130706433", .loopback), ("0x7f000001", .loopback), ("0177.0.0.1", .loopback), ("0x7f.0.0.1", .loopback),
        ("127.1", .loopback), ("127.0.1", .loopback), ("017700000001", .loopback), ("0", .unspecified),
        ("3232235777", .private), ("0xa9fea9fe", .linkLocal), ("10.0x10203", .private), ("0300.0250.1.1", .private),
    ])
    func refusedAddresses(host: String, refusal: AddressPolicy.Refusal) {
        #expect(Self.classify(host) == refusal, "\(host)")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "93.184.215.14", "[2606:4700:4700::1111]", "[2a00:1450:4001:80b::200e]", "134744072", "0x08080808"])
    func publicAddressesPass(host: String) {
        #expect(Self.classify(host) == nil, "\(host)")
    }

    @Test func oddNotationsDecodeToTheAddressResolversUse() throws {
        #expect(RawAddress(ipv4Notation: "2130706433") == .v4([127, 0, 0, 1]))
        #expect(RawAddress(ipv4Notation: "0x7f.1") == .v4([127, 0, 0, 1]))
        #expect(RawAddress(ipv4Notation: "10.0x10203") == .v4([10, 1, 2, 3]))
        #expect(RawAddress(ipv4Notation: "256.0.0.1") == nil)
        #expect(RawAddress(ipv4Notation: "4294967296") == nil)
        #expect(RawAddress(ipv4Notation: "08.0.0.1") == nil)  // 8 is not an octal digit
        #expect(RawAddress(ipv4Notation: "example.com") == nil)
        #expect(RawAddress(ipv4Notation: "1.2.3.4.5") == nil)
    }

    @Test(arguments: [
        ("ftp://example.com/", "http or https"), ("file:///etc/passwd", "http or https"), ("javascript:alert(1)", "http or https"),
        ("https://user:pass@example.com/", "user name or password"), ("https://user@example.com/", "user name or password"),
        ("https://example.com/#x", "fragment"), ("https:///path", "host"), ("/relative", "absolute"),
        ("https://example.com:0/", "port"), ("https://exa_mple.com/", "host name"), ("https://example.123/", "host name"),
        ("https://[not-v6]/", "IPv6"),
    ])
    func malformedURLsAreRefused(url: String, message: String) {
        #expect(throws: WebhookURLError.self) { try WebhookURL.parse(url) }
        do {
            _ = try WebhookURL.parse(url)
        } catch {
            #expect(error.message.contains(message), "\(url): \(error.message)")
        }
    }

    @Test func aWellFormedURLKeepsItsTarget() throws {
        let url = try WebhookURL.parse("HTTPS://Hooks.Example.com:8443/in/portico?tenant=a%20b")
        #expect(url.isTLS && url.port == 8443 && url.hostName == "hooks.example.com")
        #expect(url.target == "/in/portico?tenant=a%20b")
        #expect(url.host == .name("hooks.example.com"))
        #expect(try WebhookURL.parse("http://example.com").target == "/")
    }
}
