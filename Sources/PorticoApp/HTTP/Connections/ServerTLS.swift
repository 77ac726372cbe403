import Foundation
import NIOSSL
import Synchronization

/// HTTPS served directly from PEM files (`server.tls_certificate`,
/// `server.tls_key`): TLS 1.2 and 1.3, HTTP/1.1 by ALPN.
///
/// The context is replaced whole on `reload()` (SIGHUP, after a renewal):
/// connections already open keep the certificate they shook hands with, new
/// ones get the new one. A reload that cannot read the files leaves the
/// running certificate in force, so a half-written renewal never takes the
/// server off the air.
final class ServerTLS: Sendable {
    let certificatePath: String
    let keyPath: String
    private let context: Mutex<NIOSSLContext>

    init(certificatePath: String, keyPath: String) throws(TLSFilesError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        context = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// The context a connection accepted now shakes hands with.
    var current: NIOSSLContext { context.withLock { $0 } }

    /// Reads both files again and puts them in force for new connections.
    func reload() throws(TLSFilesError) {
        let fresh = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        context.withLock { $0 = fresh }
    }

    private static func load(certificatePath: String, keyPath: String) throws(TLSFilesError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSFilesError(setting: "server.tls_certificate", path: certificatePath, reason: "\(error)")
        }
        guard !chain.isEmpty else {
            throw TLSFilesError(setting: "server.tls_certificate", path: certificatePath, reason: "no PEM certificate in it")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSFilesError(setting: "server.tls_key", path: keyPath, reason: "not an unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFilesError(setting: "server.tls_key", path: keyPath, reason: "does not match the certificate (\(error))")
        }
    }
}

/// A certificate or key file that cannot be put in force, naming the setting.
struct TLSFilesError: Error, CustomStringConvertible {
    var setting: String
    var path: String
    var reason: String

    var description: String { "setting \"\(setting)\": \(path): \(reason)" }
}
