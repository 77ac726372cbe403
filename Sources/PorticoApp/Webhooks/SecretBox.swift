import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Webhook signing secrets at rest. Portico must be able to read a signing
/// secret back (it signs every delivery with it), so unlike an API key it
/// cannot keep only a hash: it seals it with AES-256-GCM under a key kept in
/// a file beside the database (`secrets.key_file`, default
/// `<database>.key`, mode 0600), bound to the endpoint's id. The database,
/// its WAL and `portico backup` copies hold only sealed text; the key file
/// must be backed up on its own (without it, endpoints need new secrets).
struct SecretBox: Sendable {
    static let prefix = "enc1:"
    private let key: SymmetricKey

    init(key: SymmetricKey) {
        self.key = key
    }

    struct KeyFileError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the key file, creating it with a fresh random key when there is
    /// none yet; `created` says which (sealed secrets and a new key cannot go together).
    static func load(path: String) throws -> (box: SecretBox, created: Bool) {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
                throw KeyFileError(description: "the secrets key file \(path) does not hold a base64 256-bit key")
            }
            return (SecretBox(key: SymmetricKey(data: bytes)), false)
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KeyFileError(description: "cannot create the secrets key file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        guard written == text.utf8.count, fsync(fd) == 0 else {
            unlink(path)
            throw KeyFileError(description: "cannot write the secrets key file \(path): \(String(cString: strerror(errno)))")
        }
        return (SecretBox(key: key), true)
    }

    static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// `secret` sealed for the endpoint `id` (a sealed value moved to another endpoint does not open).
    func seal(_ secret: String, for id: String) -> String {
        let sealed = try! AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Data(id.utf8))
        return Self.prefix + sealed.combined!.base64EncodedString()
    }

    /// The secret in `stored`; a value from before sealing existed is returned as it is.
    func open(_ stored: String, for id: String) throws -> String {
        guard Self.isSealed(stored) else { return stored }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))) else {
            throw KeyFileError(description: "a sealed webhook secret of \(id) is damaged")
        }
        let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key, authenticating: Data(id.utf8))
        return String(decoding: plain, as: UTF8.self)
    }
}
