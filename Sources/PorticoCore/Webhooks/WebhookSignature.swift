import Crypto
import Foundation

/// A webhook endpoint's signing secret: `whsec_` + base64 of the raw key, as
/// Standard Webhooks libraries expect it.
package struct WebhookSecret: Sendable, Equatable {
    package static let prefix = "whsec_"
    /// The HMAC key: the base64-decoded bytes after the prefix.
    let key: SymmetricKey
    package let text: String

    /// A new secret of 32 random bytes (the spec allows 24 to 64).
    package static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return WebhookSecret(text: prefix + Data(bytes).base64EncodedString())!
    }

    /// Parses `whsec_<base64>`; nil when the prefix or the base64 is wrong or the key is not 24–64 bytes.
    package init?(text: String) {
        guard text.hasPrefix(Self.prefix), let bytes = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
            (24...64).contains(bytes.count)
        else { return nil }
        self.text = text
        key = SymmetricKey(data: bytes)
    }

    package static func == (lhs: WebhookSecret, rhs: WebhookSecret) -> Bool { lhs.text == rhs.text }
}

/// Standard Webhooks signing (https://www.standardwebhooks.com):
///
///     webhook-id: msg_…            (the same on every retry)
///     webhook-timestamp: 1614265330 (seconds)
///     webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>
///
/// During a secret rotation the signature header carries one `v1,` signature
/// per active secret, separated by spaces; a receiver accepts any that matches.
package enum WebhookSignature {
    package static func sign(id: String, timestamp: Int64, body: some DataProtocol, secret: WebhookSecret) -> String {
        var hmac = HMAC<SHA256>(key: secret.key)
        hmac.update(data: Data("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }

    /// The `webhook-signature` header value for every active secret.
    package static func header(id: String, timestamp: Int64, body: some DataProtocol, secrets: [WebhookSecret]) -> String {
        secrets.map { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }

    /// Whether any signature in `header` is valid for `secret` (constant-time comparison), used by tests and `portico` tooling.
    package static func verify(header: String, id: String, timestamp: Int64, body: some DataProtocol, secret: WebhookSecret) -> Bool {
        let expected = sign(id: id, timestamp: timestamp, body: body, secret: secret)
        return header.split(separator: " ").contains { ConstantTime.equal($0.utf8, expected.utf8) }
    }
}
