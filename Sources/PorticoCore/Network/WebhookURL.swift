import Foundation

/// A webhook endpoint URL, checked for shape: http or https, a host, no
/// userinfo, no fragment. Where it may connect is decided separately, after
/// resolution (`WebhookTarget.resolve`), at registration and at every attempt.
package struct WebhookURL: Sendable, Equatable {
    package enum Host: Sendable, Equatable {
        /// An IP literal, in whatever notation it was written.
        case address(RawAddress)
        case name(String)
    }

    package let text: String
    package let isTLS: Bool
    package let host: Host
    /// The host as written (without IPv6 brackets), for `Host:` and TLS SNI.
    package let hostName: String
    package let port: Int
    /// Path and query as sent on the request line.
    package let target: String

    package static let maxLength = 2_048

    /// Parses and checks a URL; the error text is what the API answers with.
    package static func parse(_ text: String) throws(WebhookURLError) -> WebhookURL {
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

package struct WebhookURLError: Error, Equatable {
    package let message: String
    package init(_ message: String) { self.message = message }
}
