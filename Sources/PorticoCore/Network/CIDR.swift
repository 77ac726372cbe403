/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`); a bare address means a single host.
package struct CIDR: Sendable, Hashable, CustomStringConvertible {
    let network: IPAddress
    let prefixLength: Int

    package init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let address = IPAddress(parts[0]) else { return nil }
        let maxLength = parts[0].contains(":") ? 128 : 32
        let length: Int
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maxLength).contains(parsed), !parts[1].hasPrefix("+") else { return nil }
            // A mapped IPv6 form folded to IPv4 keeps its meaning: ::ffff:0:0/104 is 0.0.0.0/8.
            length = address.isIPv4 && parts[0].contains(":") ? max(0, parsed - 96) : parsed
        } else {
            length = maxLength
        }
        network = IPAddress(masked: address, prefixLength: length)
        prefixLength = length
    }

    package func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && IPAddress(masked: address, prefixLength: prefixLength) == network
    }

    package var description: String { "\(network)/\(prefixLength)" }
}
