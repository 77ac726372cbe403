import Testing

@testable import PorticoCore

struct CIDRTests {
    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("192.168.1.7", "192.168.1.7", true),
        ("192.168.1.7", "192.168.1.8", false),
        ("0.0.0.0/0", "203.0.113.9", true),
        ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false),
        ("::1", "::1", true),
        ("127.0.0.0/8", "::ffff:127.0.0.1", true),
        ("::ffff:10.0.0.0/104", "10.1.2.3", true),
        ("10.0.0.0/8", "2001:db8::1", false),
    ])
    func membership(cidr: String, address: String, expected: Bool) throws {
        let block = try #require(CIDR(cidr))
        let ip = try #require(IPAddress(address))
        #expect(block.contains(ip) == expected)
    }

    @Test(arguments: ["10.0.0.0/33", "2001:db8::/129", "10.0.0/8", "not-an-ip", "10.0.0.0/-1", "10.0.0.0/+8", "1.2.3.4/"])
    func invalidBlocksAreRejected(text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test func blocksAreNormalisedToTheirNetwork() {
        #expect(CIDR("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(CIDR("2001:db8::1/32")?.description == "2001:db8::/32")
    }

    @Test func anIPv6ClientIsRateLimitedByItsSlash64() throws {
        let one = try #require(IPAddress("2001:db8:1:2:aaaa::1")).rateLimitSubject
        let sameNetwork = try #require(IPAddress("2001:db8:1:2:bbbb::9")).rateLimitSubject
        let otherNetwork = try #require(IPAddress("2001:db8:1:3::1")).rateLimitSubject
        #expect(one == sameNetwork)
        #expect(one != otherNetwork)
        #expect(try #require(IPAddress("198.51.100.7")).rateLimitSubject == IPAddress("198.51.100.7"))
    }
}
