#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as bytes; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is
/// folded to IPv4 so one client matches one rule whichever socket family it used.
package struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    package let bytes: [UInt8]

    package init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(folding: withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            return nil
        }
    }

    /// 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped IPv6 is folded to IPv4).
    package init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16, "an IP address has 4 or 16 bytes")
        self.bytes = bytes
    }

    /// Sixteen IPv6 bytes, an IPv4-mapped address (`::ffff:a.b.c.d`) folded to its IPv4 form.
    package init(folding raw: [UInt8]) {
        self.init(bytes: Self.isIPv4Mapped(raw) ? Array(raw[12...]) : raw)
    }

    /// Whether sixteen bytes are `::ffff:a.b.c.d`.
    package static func isIPv4Mapped(_ raw: [UInt8]) -> Bool {
        raw.count == 16 && raw[0..<10].allSatisfy { $0 == 0 } && raw[10] == 0xFF && raw[11] == 0xFF
    }

    package var isIPv4: Bool { bytes.count == 4 }

    package var description: String {
        if isIPv4 {
            // Written into one small string: the request log formats the client address on every request.
            return ASCIIText.render(capacity: 15) { text in
                for (index, byte) in bytes.enumerated() {
                    if index > 0 { text.append(byte: UInt8(ascii: ".")) }
                    text.append(Int(byte))
                }
            }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension IPAddress {
    init(masked address: IPAddress, prefixLength: Int) {
        var bytes = address.bytes
        for index in bytes.indices {
            let bitsHere = max(0, min(8, prefixLength - index * 8))
            bytes[index] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
        self.init(bytes: bytes)
    }
}

extension IPAddress {
    /// What an IP limit counts by: the whole IPv4 address, or the /64 of an
    /// IPv6 one (a single client usually controls a whole /64).
    package var rateLimitSubject: IPAddress {
        isIPv4 ? self : IPAddress(bytes: Array(bytes.prefix(8)) + Array(repeating: 0, count: 8))
    }
}
