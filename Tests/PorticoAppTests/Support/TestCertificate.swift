import Crypto
import Foundation
import X509

/// A self-signed certificate (for `localhost`) and its key, made by the test
/// (never a file from the repository), in PEM.
struct TestCertificate {
    let certificatePEM: String
    let keyPEM: String
    /// SHA-256 of the certificate's DER bytes, as Python's `hashlib` prints it.
    let fingerprint: String

    static func make(host: String = "localhost") throws -> TestCertificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(host) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3_600),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.dnsName("localhost")])
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        let document = try certificate.serializeAsPEM()
        return TestCertificate(
            certificatePEM: document.pemString,
            keyPEM: key.pemRepresentation,
            fingerprint: SHA256.hash(data: Data(document.derBytes)).map { String(format: "%02x", $0) }.joined()
        )
    }

    /// Writes `<name>.crt` and `<name>.key` into `directory`; returns their paths.
    @discardableResult
    func write(to directory: URL, name: String = "tls") throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("\(name).crt")
        let key = directory.appendingPathComponent("\(name).key")
        try Data(certificatePEM.utf8).write(to: certificate)
        try Data(keyPEM.utf8).write(to: key)
        return (certificate.path, key.path)
    }
}
