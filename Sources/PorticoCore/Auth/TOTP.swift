import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1,
/// 30-second steps, six digits — the parameters every authenticator app
/// reads from an `otpauth://` URI. A code is accepted for the step before
/// and after the current one (a phone's clock drifts, a person types
/// slowly), and only for a step later than the last one accepted for the
/// same account, so a code seen over a shoulder cannot be used again.
package struct TOTP: Sendable {
    package static let period: Int64 = 30
    package static let digits = 6
    /// Secrets are 20 bytes (160 bits), RFC 4226's recommendation for HMAC-SHA1.
    package static let secretLength = 20

    package let secret: [UInt8]

    package init(secret: [UInt8]) {
        self.secret = secret
    }

    /// A fresh random secret.
    package static func generate() -> TOTP {
        var generator = SystemRandomNumberGenerator()
        return TOTP(secret: (0..<secretLength).map { _ in generator.next() })
    }

    package var base32Secret: String { Base32.encode(secret) }

    /// The time step `milliseconds` falls in.
    package static func step(at milliseconds: Int64) -> Int64 { milliseconds / 1_000 / period }

    /// The code for `step`, zero-padded to six digits.
    package func code(step: Int64) -> String {
        var counter = UInt64(step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let value =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let code = String(value % 1_000_000)
        return String(repeating: "0", count: Self.digits - code.count) + code
    }

    /// The step `code` matches at `milliseconds` (within one step either way) and after
    /// `lastUsedStep`, or nil: wrong, too old, or already used.
    package func verify(_ code: String, at milliseconds: Int64, after lastUsedStep: Int64) -> Int64? {
        let typed = code.filter { !$0.isWhitespace }
        guard typed.count == Self.digits, typed.allSatisfy(\.isASCII), typed.allSatisfy(\.isNumber) else { return nil }
        let now = Self.step(at: milliseconds)
        for step in (now - 1)...(now + 1) where step > lastUsedStep {
            if ConstantTime.equal(self.code(step: step).utf8, typed.utf8) { return step }
        }
        return nil
    }

    /// The URI an authenticator app scans: `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER`.
    package func provisioningURI(account: String, issuer: String) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~@"))
        let label = "\(issuer):\(account)".addingPercentEncoding(withAllowedCharacters: allowed.union([":"])) ?? account
        let issuerParameter = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return "otpauth://totp/\(label)?secret=\(base32Secret)&issuer=\(issuerParameter)&algorithm=SHA1&digits=\(Self.digits)&period=\(Self.period)"
    }
}
