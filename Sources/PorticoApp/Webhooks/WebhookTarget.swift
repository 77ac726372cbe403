import Foundation
import NIOPosix
import PorticoCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves a webhook URL and checks every address it resolves to; the
/// caller connects only to the addresses returned, so a DNS answer that
/// changes between the check and the connection cannot redirect it.
enum WebhookTarget {
    enum Failure: Error, Equatable {
        /// The name does not resolve.
        case dns(String)
        /// An address the policy refuses (the first one found).
        case blocked(RawAddress, AddressPolicy.Refusal)

        var message: String {
            switch self {
            case .dns(let host): "The host \(host) does not resolve."
            case .blocked(let address, let refusal):
                "The URL resolves to \(address), a \(refusal.rawValue) address; webhooks are only delivered to public addresses (an operator can allowlist a subnet with webhooks.allowed_cidrs)."
            }
        }
    }

    /// Every address of the URL's host, all of them permitted; throws if any is refused
    /// (one private answer among public ones is enough to refuse: the client could pick it).
    static func resolve(_ url: WebhookURL, policy: AddressPolicy) async throws(Failure) -> [RawAddress] {
        let addresses: [RawAddress]
        switch url.host {
        case .address(let address):
            addresses = [address]
        case .name(let name):
            addresses = await lookUp(name)
            guard !addresses.isEmpty else { throw .dns(name) }
        }
        for address in addresses {
            if let refusal = policy.refusal(for: address) { throw .blocked(address, refusal) }
        }
        return addresses
    }

    /// getaddrinfo on NIO's blocking-work pool (never on an event loop).
    static func lookUp(_ name: String) async -> [RawAddress] {
        (try? await NIOThreadPool.singleton.runIfActive { addressInfo(name) }) ?? []
    }

    private static func addressInfo(_ name: String) -> [RawAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [RawAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let socket = entry.pointee.ai_addr {
                switch Int32(socket.pointee.sa_family) {
                case AF_INET:
                    let v4 = socket.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    addresses.append(.v4(withUnsafeBytes(of: v4) { Array($0) }))
                case AF_INET6:
                    let v6 = socket.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    addresses.append(.v6(withUnsafeBytes(of: v6) { Array($0) }))
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        var seen = Set<RawAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}
