import NIOCore
import PorticoCore
import Testing

@testable import PorticoApp

/// A peer's address is read from NIO's socket address (HTTP/IPAddress+SocketAddress.swift).
struct IPAddressSocketTests {
    @Test func socketPeersAreReadWithoutATextRoundTrip() throws {
        let v4 = try #require(IPAddress(try SocketAddress(ipAddress: "203.0.113.9", port: 443)))
        #expect(v4 == IPAddress("203.0.113.9"))
        #expect(v4.description == "203.0.113.9")
        let mapped = try #require(IPAddress(try SocketAddress(ipAddress: "::ffff:10.1.2.3", port: 443)))
        #expect(mapped.isIPv4 && mapped.description == "10.1.2.3")
        let v6 = try #require(IPAddress(try SocketAddress(ipAddress: "2001:db8:1:2:3:4:5:6", port: 443)))
        #expect(v6.description == "2001:db8:1:2:3:4:5:6")
        #expect(IPAddress(try SocketAddress(unixDomainSocketPath: "/tmp/portico.sock")) == nil)
    }
}
