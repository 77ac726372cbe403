import Foundation

/// What a key can do by construction.
public enum APIKeyKind: String, Sendable, CaseIterable, Codable {
    /// Full access to its mode (`sk_`).
    case secret
    /// Read-only, safe to embed in a client (`pk_`).
    case publishable
    /// Explicit scopes chosen at creation (`rk_`).
    case restricted

    var prefixCode: String {
        switch self {
        case .secret: "sk"
        case .publishable: "pk"
        case .restricted: "rk"
        }
    }
}

/// A syntactically valid key: its two-letter code, mode and the full text.
package struct ParsedAPIKey: Sendable, Equatable {
    /// `sk`, `pk`, `rk`, or `tk` for a platform key.
    var code: String
    var livemode: Bool
    package var token: String

    /// A platform key (`tk_`): the operating team's, made by the CLI, acting for any organization.
    package var isPlatform: Bool { code == APIKeyFormat.platformCode }
    /// `sk_test_`: the part that is safe to display and store.
    package var prefix: String { "\(code)_\(livemode ? "live" : "test")_" }
    package var last4: String { String(token.suffix(4)) }
}

/// The key format: `{sk|pk|rk|tk}_{test|live}_` + 24 random base62 digits
/// (about 143 bits from the system CSPRNG) + 6 base62 digits of CRC-32 over
/// everything before them. The checksum lets a mistyped or truncated key be
/// refused without touching the database.
package enum APIKeyFormat {
    static let randomLength = 24
    static let checksumLength = 6

    /// Platform keys' code (`tk_live_…`: the team that runs Portico).
    static let platformCode = "tk"

    package static func generate(kind: APIKeyKind, livemode: Bool) -> ParsedAPIKey {
        generate(code: kind.prefixCode, livemode: livemode)
    }

    package static func generatePlatformKey(livemode: Bool) -> ParsedAPIKey {
        generate(code: platformCode, livemode: livemode)
    }

    private static func generate(code: String, livemode: Bool) -> ParsedAPIKey {
        var key = ParsedAPIKey(code: code, livemode: livemode, token: "")
        let body = key.prefix + Base62.random(count: randomLength)
        key.token = body + checksum(of: body.utf8)
        return key
    }

    /// Parses and checksums a presented key; nil for anything malformed.
    static func parse(_ token: String) -> ParsedAPIKey? { parse(token[...]) }

    package static func parse(_ token: Substring) -> ParsedAPIKey? {
        let bytes = Array(token.utf8)
        guard bytes.count == 8 + randomLength + checksumLength else { return nil }
        let code: String
        switch (bytes[0], bytes[1], bytes[2]) {
        case (UInt8(ascii: "s"), UInt8(ascii: "k"), UInt8(ascii: "_")): code = "sk"
        case (UInt8(ascii: "p"), UInt8(ascii: "k"), UInt8(ascii: "_")): code = "pk"
        case (UInt8(ascii: "r"), UInt8(ascii: "k"), UInt8(ascii: "_")): code = "rk"
        case (UInt8(ascii: "t"), UInt8(ascii: "k"), UInt8(ascii: "_")): code = platformCode
        default: return nil
        }
        let mode = bytes[3..<8]
        let livemode: Bool
        if mode.elementsEqual("live_".utf8) {
            livemode = true
        } else if mode.elementsEqual("test_".utf8) {
            livemode = false
        } else {
            return nil
        }
        let digits = bytes[8...]
        guard digits.allSatisfy(Base62.isDigit) else { return nil }
        let body = bytes[..<(bytes.count - checksumLength)]
        let presented = bytes[(bytes.count - checksumLength)...].reduce(UInt64(0)) { $0 * 62 + UInt64(Base62.value(of: $1)) }
        guard presented == UInt64(CRC32.checksum(body)) else { return nil }
        return ParsedAPIKey(code: code, livemode: livemode, token: String(token))
    }

    /// Whether a string looks like one of our keys (used to refuse keys in query strings).
    package static func looksLikeKey(_ text: some StringProtocol) -> Bool {
        ["sk_", "pk_", "rk_", "tk_"].contains { text.hasPrefix($0) } && (text.contains("_test_") || text.contains("_live_"))
    }

    /// `text` with anything shaped like a key (a key prefix followed by at
    /// least 8 base62 digits, checksum or not) cut to its prefix and last four
    /// characters, as the dashboard shows keys: what the request log stores of
    /// a path into which someone pasted a key.
    package static func redactingKeys(in text: String) -> String {
        // Runs for every logged request: the common path (no '_' after a 'k', no '%') allocates nothing.
        var mayHoldKey = false
        var percentEncoded = false
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "_"), previous == UInt8(ascii: "k") { mayHoldKey = true }
            if byte == UInt8(ascii: "%") { percentEncoded = true }
            previous = byte
        }
        // A key percent-encoded in a path (sk%5Ftest%5F…) is a key too: judge the decoded text.
        if percentEncoded, let decoded = text.removingPercentEncoding, decoded != text {
            let redacted = redactingKeys(in: decoded)
            if redacted != decoded { return redacted }
        }
        guard mayHoldKey, text.utf8.count >= 16 else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + 8 <= bytes.count,
                let kind = String(decoding: bytes[index..<(index + 8)], as: UTF8.self).keyPrefix
            {
                var end = index + 8
                while end < bytes.count, Base62.isDigit(bytes[end]) { end += 1 }
                if end - (index + 8) >= 8 {
                    output.append(contentsOf: kind.utf8)
                    output.append(contentsOf: "…".utf8)
                    output.append(contentsOf: bytes[(end - 4)..<end])
                    index = end
                    continue
                }
            }
            output.append(bytes[index])
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func checksum(of body: some Sequence<UInt8>) -> String {
        Base62.encode(UInt128(CRC32.checksum(body)), width: checksumLength)
    }
}

extension String {
    /// `self` when it is one of the eight key prefixes (`sk_test_` …, `tk_live_`).
    fileprivate var keyPrefix: String? {
        let prefixes = ["sk_test_", "sk_live_", "pk_test_", "pk_live_", "rk_test_", "rk_live_", "tk_test_", "tk_live_"]
        return prefixes.contains(self) ? self : nil
    }
}
