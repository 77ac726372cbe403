import Crypto
import Foundation
import PorticoCore

/// How an `Idempotency-Key` and its stored response are kept at rest.
///
/// A stored response may reveal a secret (a new API key, a webhook signing
/// secret), so it is never written in the clear: it is sealed with AES-GCM
/// under a key derived (HKDF-SHA256) from the `Idempotency-Key` itself, and
/// the `Idempotency-Key` is stored only as a SHA-256 lookup hash. Whoever
/// holds the `Idempotency-Key` can have the response replayed; the database,
/// its WAL and its backups alone cannot open it. The protection is as strong
/// as the key is hard to guess: clients should send random keys (a UUIDv4,
/// as Stripe recommends), not counters.
package struct IdempotencySeal: Sendable {
    /// Identifies the row: the tenant and a hash of the key (never the key).
    package let lookupHash: Data
    private let sealingKey: SymmetricKey

    package init(scope: TenantScope, key: String) {
        let context = Data("\(scope.organizationId)\u{0}\(scope.livemode ? "live" : "test")".utf8)
        var hasher = SHA256()
        hasher.update(data: Data("portico.idempotency.lookup.v1\u{0}".utf8))
        hasher.update(data: context)
        hasher.update(data: Data("\u{0}\(key)".utf8))
        lookupHash = Data(hasher.finalize())
        sealingKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(key.utf8)),
            salt: Data("portico.idempotency.seal.v1".utf8),
            info: context,
            outputByteCount: 32
        )
    }

    /// Nonce, ciphertext and tag in one blob; the lookup hash is authenticated
    /// too, so a sealed body moved to another row does not open.
    package func seal(_ plaintext: Data) throws -> Data {
        try AES.GCM.seal(plaintext, using: sealingKey, authenticating: lookupHash).combined!
    }

    package func open(_ sealed: Data) throws -> Data {
        try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: sealingKey, authenticating: lookupHash)
    }
}
