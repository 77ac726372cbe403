import Foundation
import GRDB
import PorticoCore

// MARK: - API keys

extension SQLiteStore {
    /// Inserts a new key and its audit row in one transaction.
    package func insertAPIKey(_ key: APIKeyRecord, audit: AuditEntryRecord, completing completion: IdempotentCompletion<Void>?) async throws {
        try await write(completing: completion) { db in
            try key.insert(db)
            try audit.insert(db)
        }
    }

    /// The key whose SHA-256 is `hash`, whatever its state (the caller judges
    /// validity), with its organization (plan, body capture) read in the same transaction.
    package func apiKey(secretHash hash: Data) async throws -> (key: APIKeyRecord, organization: OrganizationRecord)? {
        try await read { db in
            guard let key = try APIKeyRecord.filter(APIKeyRecord.Columns.secretHash == hash).fetchOne(db),
                let organization = try OrganizationRecord.fetchOne(db, key: key.organizationId)
            else { return nil }
            return (key, organization)
        }
    }

    package func apiKey(id: String, organizationId: String) async throws -> APIKeyRecord? {
        try await read { db in
            try APIKeyRecord
                .filter(APIKeyRecord.Columns.id == id && APIKeyRecord.Columns.organizationId == organizationId)
                .fetchOne(db)
        }
    }

    /// One page of a tenant's keys, newest first.
    package func apiKeys(scope: TenantScope, page: PageRequest) async throws -> Page<APIKeyRecord> {
        try await read { db in
            try APIKeyRecord
                .filter(APIKeyRecord.Columns.organizationId == scope.organizationId && APIKeyRecord.Columns.livemode == scope.livemode)
                .page(page, id: APIKeyRecord.Columns.id, db: db)
        }
    }

    package func apiKeys(organizationId: String, livemode: Bool?) async throws -> [APIKeyRecord] {
        try await read { db in
            var request = APIKeyRecord.filter(APIKeyRecord.Columns.organizationId == organizationId)
            if let livemode { request = request.filter(APIKeyRecord.Columns.livemode == livemode) }
            return try request.order(APIKeyRecord.Columns.id.desc).fetchAll(db)
        }
    }

    /// Marks a key revoked (idempotent) and audits it; nil when the key is not the organization's.
    package func revokeAPIKey(
        id: String,
        organizationId: String,
        at now: Int64,
        audit: AuditEntryRecord,
        mail: [MailRecord],
        completing completion: IdempotentCompletion<APIKeyRecord?>?
    ) async throws -> APIKeyRecord? {
        try await write(completing: completion) { db in
            guard
                var key =
                    try APIKeyRecord
                    .filter(APIKeyRecord.Columns.id == id && APIKeyRecord.Columns.organizationId == organizationId)
                    .fetchOne(db)
            else { return nil }
            if key.revokedAt == nil {
                key.revokedAt = now
                key.updatedAt = now
                try key.update(db)
                try audit.insert(db)
                for mail in mail { try self.insertMailInTransaction(mail, db) }
            }
            return key
        }
    }

    /// Rolls a key: inserts its replacement and makes the old one expire at
    /// `oldExpiresAt` (the overlap), in one transaction with the audit row.
    /// Returns the old key as updated, or nil when it is not the organization's.
    package func rollAPIKey(
        id: String,
        organizationId: String,
        replacement: APIKeyRecord,
        oldExpiresAt: Int64,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<APIKeyRecord?>?
    ) async throws -> APIKeyRecord? {
        try await write(completing: completion) { db in
            guard
                var old =
                    try APIKeyRecord
                    .filter(APIKeyRecord.Columns.id == id && APIKeyRecord.Columns.organizationId == organizationId)
                    .fetchOne(db)
            else { return nil }
            guard old.revokedAt == nil, old.rolledToId == nil else {
                throw StoreError.conflict("key \(id) was already revoked or rolled")
            }
            try replacement.insert(db)
            old.expiresAt = min(old.expiresAt ?? .max, oldExpiresAt)
            old.rolledToId = replacement.id
            old.updatedAt = replacement.createdAt
            try old.update(db)
            try audit.insert(db)
            return old
        }
    }

    /// Writes batched `last_used_at` values; never moves one backwards and never
    /// touches `updated_at` (which signals changes to key caches).
    package func recordKeyUsage(_ lastUsed: [String: Int64]) async throws {
        guard !lastUsed.isEmpty else { return }
        try await writeTransaction { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?"
            )
            for (id, at) in lastUsed {
                try statement.execute(arguments: [at, id])
            }
        }
    }

    /// A value that changes whenever any key is created, revoked or rolled, or
    /// an organization's plan or settings change, by this process or another
    /// (the CLI): key caches poll it cheaply.
    package func apiKeysRevision() async throws -> String {
        try await read { db in
            // The sum moves whenever any key's updated_at moves, even if another
            // process's clock is behind ours (a max would miss that).
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT coalesce(sum(updated_at), 0) FROM api_keys), (SELECT count(*) FROM api_keys),
                           (SELECT coalesce(sum(updated_at), 0) FROM organizations),
                           (SELECT coalesce(sum(updated_at), 0) + count(*) FROM platform_keys)
                    """
            )!
            let sum: Int64 = row[0]
            let count: Int64 = row[1]
            let organizations: Int64 = row[2]
            let platform: Int64 = row[3]
            return "\(sum)/\(count)/\(organizations)/\(platform)"
        }
    }
}
