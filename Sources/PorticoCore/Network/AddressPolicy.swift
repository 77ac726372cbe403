#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which addresses a webhook may be delivered to (SSRF defence).
///
/// Only public unicast addresses pass. Refused, by class: unspecified,
/// loopback, private (RFC 1918), CGNAT, link-local, multicast, broadcast,
/// reserved, documentation and benchmark ranges, IPv6 unique-local,
/// link-local and site-local, and every IPv6 form that embeds or tunnels to
/// an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo), since
/// the IPv4 inside could be anything. An operator's allowlist (CIDR blocks)
/// overrides the refusal; a sandbox instance allowlists loopback.
package struct AddressPolicy: Sendable {
    /// Why an address is refused, named in the API's error message.
    package enum Refusal: String, Sendable, Equatable {
        case unspecified, loopback, `private`
        case cgnat = "shared address space (CGNAT)"
        case linkLocal = "link-local"
        case multicast, broadcast, reserved, documentation, benchmark
        case uniqueLocal = "unique-local"
        case siteLocal = "site-local"
        case ipv4Mapped = "IPv4-mapped"
        case ipv4Compatible = "IPv4-compatible"
        case nat64 = "NAT64"
        case sixToFour = "6to4"
        case teredo = "Teredo"
    }

    package var allowlist: [CIDR]

    package init(allowlist: [CIDR] = []) {
        self.allowlist = allowlist
    }

    /// nil when the address may be connected to.
    package func refusal(for raw: RawAddress) -> Refusal? {
        if let folded = raw.folded, allowlist.contains(where: { $0.contains(folded) }) { return nil }
        return Self.classify(raw)
    }

    /// The class of a non-public address, or nil for public unicast.
    package static func classify(_ raw: RawAddress) -> Refusal? {
        switch raw {
        case .v4(let bytes): return classify(v4: bytes)
        case .v6(let bytes): return classify(v6: bytes)
        }
    }

    private static let v4Ranges = table([
        ("0.0.0.0/8", .unspecified), ("10.0.0.0/8", .private), ("100.64.0.0/10", .cgnat), ("127.0.0.0/8", .loopback),
        ("169.254.0.0/16", .linkLocal), ("172.16.0.0/12", .private), ("192.0.0.0/24", .reserved), ("192.0.2.0/24", .documentation),
        ("192.88.99.0/24", .sixToFour), ("192.168.0.0/16", .private), ("198.18.0.0/15", .benchmark),
        ("198.51.100.0/24", .documentation), ("203.0.113.0/24", .documentation), ("224.0.0.0/4", .multicast),
        ("255.255.255.255/32", .broadcast), ("240.0.0.0/4", .reserved),
    ])

    private static func table(_ entries: [(String, Refusal)]) -> [(block: CIDR, refusal: Refusal)] {
        entries.map { (CIDR($0.0)!, $0.1) }
    }

    private static func classify(v4 bytes: [UInt8]) -> Refusal? {
        let address = IPAddress(bytes: bytes)
        return v4Ranges.first { $0.block.contains(address) }?.refusal
    }

    private static let v6Ranges = table([
        ("::/128", .unspecified), ("::1/128", .loopback), ("::ffff:0:0/96", .ipv4Mapped), ("64:ff9b::/96", .nat64),
        ("64:ff9b:1::/48", .nat64), ("100::/64", .reserved), ("2001::/32", .teredo), ("2001:2::/48", .benchmark),
        ("2001:10::/28", .reserved), ("2001:20::/28", .reserved), ("2001:db8::/32", .documentation), ("2002::/16", .sixToFour),
        ("3fff::/20", .documentation), ("fc00::/7", .uniqueLocal), ("fe80::/10", .linkLocal), ("fec0::/10", .siteLocal),
        ("ff00::/8", .multicast), ("::/96", .ipv4Compatible),
    ])

    private static func classify(v6 bytes: [UInt8]) -> Refusal? {
        // IPAddress folds ::ffff:a.b.c.d to IPv4; classify the raw form first.
        if IPAddress.isIPv4Mapped(bytes) { return .ipv4Mapped }
        let address = IPAddress(bytes: bytes)
        if let hit = v6Ranges.first(where: { $0.block.contains(address) }) { return hit.refusal }
        // Global unicast is 2000::/3; everything else is unassigned or special.
        return bytes[0] & 0xE0 == 0x20 ? nil : .reserved
    }
}

/// An address exactly as resolved or written, before IPv4-mapped folding.
package enum RawAddress: Sendable, Hashable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// The form `IPAddress`/`CIDR` compare (IPv4-mapped IPv6 folded to IPv4).
    package var folded: IPAddress? {
        switch self {
        case .v4(let bytes): IPAddress(bytes: bytes)
        case .v6(let bytes): IPAddress(folding: bytes)
        }
    }

    /// Written as resolved: an IPv4-mapped address stays in its IPv6 form.
    package var description: String {
        switch self {
        case .v4(let bytes), .v6(let bytes): IPAddress(bytes: bytes).description
        }
    }

    /// An IPv6 literal (without brackets), exactly as written.
    package init?(ipv6 text: String) {
        var raw = in6_addr()
        guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
        self = .v6(withUnsafeBytes(of: &raw) { Array($0) })
    }

    /// A host that is an IPv4 address in any notation resolvers accept
    /// (`inet_aton`): dotted decimal, but also one to four parts each in
    /// decimal, octal (`0177`) or hex (`0x7f`), e.g. `2130706433`, `0x7f.1`,
    /// `127.1`. Returns nil for names.
    package init?(ipv4Notation host: String) {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            let text = part.lowercased()
            let value: UInt64?
            if text.hasPrefix("0x") {
                value = text.count == 2 ? 0 : UInt64(text.dropFirst(2), radix: 16)
            } else if text.count > 1, text.hasPrefix("0") {
                value = UInt64(text.dropFirst(), radix: 8)
            } else {
                value = UInt64(text, radix: 10)
            }
            guard let value else { return nil }
            values.append(value)
        }
        // The last part fills the remaining bytes (a.b.c.d, a.b.cd, a.bcd, abcd).
        let leading = values.dropLast()
        guard leading.allSatisfy({ $0 <= 0xFF }) else { return nil }
        let lastBits = 8 * (4 - leading.count)
        guard values.last! < (UInt64(1) << lastBits) else { return nil }
        var number = values.last!
        for (index, value) in leading.enumerated() { number |= value << (24 - 8 * index) }
        self = .v4([UInt8(number >> 24 & 0xFF), UInt8(number >> 16 & 0xFF), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF)])
    }
}
