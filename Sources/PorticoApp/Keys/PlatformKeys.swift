import Crypto
import Foundation
import PorticoCore
import PorticoStore

/// Platform keys: the operating team's backend, acting for any organization
/// it names in `Portico-Organization` (as `Stripe-Account` does). Made,
/// listed and revoked only from the CLI; never by a tenant.
public struct PlatformKeys: Sendable {
    let store: any PlatformStore
    let clock: any PorticoClock
    let authenticator: KeyAuthenticator

    /// A new key, shown once: its id and secret.
    public func create(livemode: Bool, label: String?, by actor: AuditActor) async throws -> (id: String, secret: String) {
        let now = clock.nowMilliseconds
        let key = APIKeyFormat.generatePlatformKey(livemode: livemode)
        let record = PlatformKeyRecord(
            id: Identifier.make("pkey", at: now),
            livemode: livemode,
            label: label,
            secretHash: Data(SHA256.hash(data: Data(key.token.utf8))),
            prefix: key.prefix,
            last4: key.last4,
            createdAt: now,
            updatedAt: now
        )
        try await store.insertPlatformKey(
            record,
            audit: actor.entry("platform_key.created", organizationID: nil, targetType: "platform_key", targetID: record.id, at: now)
        )
        return (record.id, key.token)
    }

    /// One line per key: id, prefix…last4, mode, state, label.
    public func describe() async throws -> [String] {
        try await store.platformKeys().map { key in
            let state = key.revokedAt.map { "revoked \(RFC3339.string(milliseconds: $0))" } ?? "active"
            return [key.id, "\(key.prefix)…\(key.last4)", key.livemode ? "live" : "test", state, key.label ?? ""].joined(separator: "\t")
        }
    }

    /// Revokes a key at once (in this process; other instances within `keys.cache_refresh_ms`); false when no such key exists.
    public func revoke(id: String, by actor: AuditActor) async throws -> Bool {
        let now = clock.nowMilliseconds
        let audit = actor.entry("platform_key.revoked", organizationID: nil, targetType: "platform_key", targetID: id, at: now)
        guard try await store.revokePlatformKey(id: id, at: now, audit: audit) != nil else { return false }
        authenticator.invalidate()
        return true
    }
}
