import Foundation
import NIOPosix
import PorticoCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A webhook endpoint URL, checked for shape: http or https, a host, no
/// userinfo, no fragment. Where it may connect is decided separately, after
/// resolution (`WebhookTarget.resolve`), at registration and at every attempt.
struct WebhookURL: Sendable, Equatable {
    enum Host: Sendable, Equatable {
        /// An IP literal, in whatever notation it was written.
        case address(RawAddress)
        case name(String)
    }

    let text: String
    let isTLS: Bool
    let host: Host
    /// The host as written (without IPv6 brackets), for `Host:` and TLS SNI.
    let hostName: String
    let port: Int
    /// Path and query as sent on the request line.
    let target: String

    static let maxLength = 2_048

    /// Parses and checks a URL; the error text is what the API answers with.
    static func parse(_ text: String) throws(WebhookURLError) -> WebhookURL {
        guard text.utf8.count <= maxLength else { throw .init("url must be at most \(maxLength) bytes.") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .init("url must be an absolute http or https URL.")
        }
        guard scheme == "http" || scheme == "https" else { throw .init("url must use http or https, not \(scheme).") }
        guard components.user == nil, components.password == nil else {
            throw .init("url must not carry a user name or password; authenticate the webhook by its signature.")
        }
        guard components.fragment == nil else { throw .init("url must not have a #fragment.") }
        guard var host = components.host?.lowercased(), !host.isEmpty else { throw .init("url must name a host.") }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65_535).contains(port) else { throw .init("url has an invalid port.") }

        let parsedHost: Host
        if host.hasPrefix("[") {
            host = String(host.dropFirst().dropLast())
            guard let address = RawAddress(ipv6: host) else { throw .init("url has an invalid IPv6 address.") }
            parsedHost = .address(address)
        } else if let address = RawAddress(ipv4Notation: host) {
            parsedHost = .address(address)
        } else {
            let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
            guard host.allSatisfy(allowed.contains), !host.hasPrefix("."), !host.contains("..") else {
                throw .init("url has an invalid host name.")
            }
            // A name whose last label is numeric would be read as an IPv4 address by some resolvers.
            if let last = host.split(separator: ".").last, last.allSatisfy(\.isNumber) {
                throw .init("url has an invalid host name.")
            }
            parsedHost = .name(host)
        }
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        return WebhookURL(text: text, isTLS: scheme == "https", host: parsedHost, hostName: host, port: port, target: target)
    }
}

struct WebhookURLError: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

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
