import Foundation
import PorticoCore

/// API keys. Secrets are never stored, only their hash.
package protocol KeyStore: Sendable {
    func insertAPIKey(_ key: APIKeyRecord, audit: AuditEntryRecord, completing completion: IdempotentCompletion<Void>?) async throws
    /// Authentication's lookup: the key with this secret hash and its organization, in one read.
    func apiKey(secretHash hash: Data) async throws -> (key: APIKeyRecord, organization: OrganizationRecord)?
    /// One key of an organization, either mode.
    func apiKey(id: String, organizationId: String) async throws -> APIKeyRecord?
    func apiKeys(scope: TenantScope, page: PageRequest) async throws -> Page<APIKeyRecord>
    /// Every key of an organization (one mode, or both when nil), newest first.
    func apiKeys(organizationId: String, livemode: Bool?) async throws -> [APIKeyRecord]
    /// Revokes once (a second revoke changes, audits and mails nothing); nil when the key does
    /// not exist. `mail` (the leaked-key notice) is written with the revocation, only the first time.
    func revokeAPIKey(
        id: String,
        organizationId: String,
        at now: Int64,
        audit: AuditEntryRecord,
        mail: [MailRecord],
        completing completion: IdempotentCompletion<APIKeyRecord?>?
    ) async throws -> APIKeyRecord?
    /// Inserts `replacement` and ends the old key at `oldExpiresAt`; nil when
    /// the key does not exist, `StoreError.conflict` when it is revoked or already rolled.
    func rollAPIKey(
        id: String,
        organizationId: String,
        replacement: APIKeyRecord,
        oldExpiresAt: Int64,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<APIKeyRecord?>?
    ) async throws -> APIKeyRecord?
    /// Moves each key's `last_used_at` forward (never back).
    func recordKeyUsage(_ lastUsed: [String: Int64]) async throws
    /// Changes whenever a key or an organization changes: the key cache's cheap poll.
    func apiKeysRevision() async throws -> String
}

extension KeyStore {
    /// A revocation that mails nobody.
    package func revokeAPIKey(
        id: String,
        organizationId: String,
        at now: Int64,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<APIKeyRecord?>?
    ) async throws -> APIKeyRecord? {
        try await revokeAPIKey(id: id, organizationId: organizationId, at: now, audit: audit, mail: [], completing: completion)
    }

    package func insertAPIKey(_ key: APIKeyRecord, audit: AuditEntryRecord) async throws {
        try await insertAPIKey(key, audit: audit, completing: nil)
    }

    package func apiKeys(organizationId: String) async throws -> [APIKeyRecord] {
        try await apiKeys(organizationId: organizationId, livemode: nil)
    }
}
