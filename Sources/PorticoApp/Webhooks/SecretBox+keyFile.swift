import Crypto
import Foundation
import PorticoCore

#if canImport(Glibc)
import Glibc
#endif

extension SecretBox {
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
}
