import Crypto
import Foundation

/// Webhook signing secrets at rest. Portico must be able to read a signing
/// secret back (it signs every delivery with it), so unlike an API key it
/// cannot keep only a hash: it seals it with AES-256-GCM under a key kept in
/// a file beside the database (`secrets.key_file`, default
/// `<database>.key`, mode 0600), bound to the endpoint's id. The database,
/// its WAL and `portico backup` copies hold only sealed text; the key file
/// must be backed up on its own (without it, endpoints need new secrets).
/// Reading and creating that file is the app's (`SecretBox+keyFile.swift`).
package struct SecretBox: Sendable {
    package static let prefix = "enc1:"
    private let key: SymmetricKey

    package init(key: SymmetricKey) {
        self.key = key
    }

    package struct KeyFileError: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    package static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// `secret` sealed for the endpoint `id` (a sealed value moved to another endpoint does not open).
    package func seal(_ secret: String, for id: String) -> String {
        let sealed = try! AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Data(id.utf8))
        return Self.prefix + sealed.combined!.base64EncodedString()
    }

    /// The secret in `stored`; a value from before sealing existed is returned as it is.
    package func open(_ stored: String, for id: String) throws -> String {
        guard Self.isSealed(stored) else { return stored }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))) else {
            throw KeyFileError(description: "a sealed webhook secret of \(id) is damaged")
        }
        let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key, authenticating: Data(id.utf8))
        return String(decoding: plain, as: UTF8.self)
    }
}
