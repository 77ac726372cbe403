import Crypto
import CryptoExtras
import Foundation
import PorticoCore

/// scrypt password hashes in a self-describing string
/// (`$scrypt$ln=17,r=8,p=1$<salt b64>$<hash b64>`), so the cost can rise
/// later without invalidating older hashes.
struct PasswordHasher: Sendable {
    /// log2(N); OWASP's recommended minimum is 17 with r = 8, p = 1.
    var cost: Int

    func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in generator.next() as UInt8 }
        let derived = try Self.derive(password, salt: salt, cost: cost)
        return "$scrypt$ln=\(cost),r=8,p=1$\(Data(salt).base64EncodedString())$\(derived.base64EncodedString())"
    }

    /// Constant-time comparison against a stored hash; false for anything malformed.
    static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "scrypt",
            let cost = parts[1].split(separator: ",").first.flatMap({ Int($0.dropFirst(3)) }),
            (10...22).contains(cost),
            let salt = Data(base64Encoded: String(parts[2])),
            let expected = Data(base64Encoded: String(parts[3])),
            let derived = try? derive(password, salt: Array(salt), cost: cost)
        else { return false }
        return ConstantTime.equal(derived, expected)
    }

    private static func derive(_ password: String, salt: [UInt8], cost: Int) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8),
            salt: salt,
            outputByteCount: 32,
            rounds: 1 << cost,
            blockSize: 8,
            parallelism: 1
        )
        return key.withUnsafeBytes { Data($0) }
    }
}
