import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - API keys

extension PostgresStore {
    package func insertAPIKey(_ key: APIKeyRecord, audit: AuditEntryRecord, completing completion: IdempotentCompletion<Void>?) async throws {
        try await write(completing: completion) { connection in
            try await connection.insert(key, logger: logger)
            try await connection.insert(audit, logger: logger)
            Self.afterCommit?.note(.keys)
        }
    }

    package func apiKey(secretHash hash: Data) async throws -> (key: APIKeyRecord, organization: OrganizationRecord)? {
        let found: KeyWithOrganization? = try await readSnapshot { connection in
            guard let key = try await connection.one(APIKeyRecord.self, "SELECT * FROM api_keys WHERE secret_hash = \(hash)", logger: logger),
                let organization = try await connection.one(
                    OrganizationRecord.self,
                    "SELECT * FROM organizations WHERE id = \(key.organizationId)",
                    logger: logger
                )
            else { return nil }
            return KeyWithOrganization(key: key, organization: organization)
        }
        return found.map { ($0.key, $0.organization) }
    }

    private struct KeyWithOrganization: Sendable {
        var key: APIKeyRecord
        var organization: OrganizationRecord
    }

    package func apiKey(id: String, organizationId: String) async throws -> APIKeyRecord? {
        try await read { connection in
            try await connection.one(
                APIKeyRecord.self,
                "SELECT * FROM api_keys WHERE id = \(id) AND organization_id = \(organizationId)",
                logger: logger
            )
        }
    }

    package func apiKeys(scope: TenantScope, page: PageRequest) async throws -> Page<APIKeyRecord> {
        try await read { connection in
            try await connection.page(
                APIKeyRecord.self,
                from: "api_keys",
                where: "organization_id = \(scope.organizationId) AND livemode = \(scope.livemode)",
                page: page,
                logger: logger
            )
        }
    }

    package func apiKeys(organizationId: String, livemode: Bool?) async throws -> [APIKeyRecord] {
        try await read { connection in
            try await connection.all(
                APIKeyRecord.self,
                "SELECT * FROM api_keys WHERE organization_id = \(organizationId) AND (\(livemode)::boolean IS NULL OR livemode = \(livemode)) ORDER BY id DESC",
                logger: logger
            )
        }
    }

    package func revokeAPIKey(
        id: String,
        organizationId: String,
        at now: Int64,
        audit: AuditEntryRecord,
        mail: [MailRecord],
        completing completion: IdempotentCompletion<APIKeyRecord?>?
    ) async throws -> APIKeyRecord? {
        let key = try await write(completing: completion) { connection -> APIKeyRecord? in
            guard
                var key = try await connection.one(
                    APIKeyRecord.self,
                    "SELECT * FROM api_keys WHERE id = \(id) AND organization_id = \(organizationId) FOR UPDATE",
                    logger: logger
                )
            else { return nil }
            if key.revokedAt == nil {
                key.revokedAt = now
                key.updatedAt = now
                try await connection.update(key, logger: logger)
                Self.afterCommit?.note(.keys)
                try await connection.insert(audit, logger: logger)
                for mail in mail { try await queueMail(mail, connection) }
            }
            return key
        }
        return key
    }

    package func rollAPIKey(
        id: String,
        organizationId: String,
        replacement: APIKeyRecord,
        oldExpiresAt: Int64,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<APIKeyRecord?>?
    ) async throws -> APIKeyRecord? {
        try await write(completing: completion) { connection -> APIKeyRecord? in
            guard
                var old = try await connection.one(
                    APIKeyRecord.self,
                    "SELECT * FROM api_keys WHERE id = \(id) AND organization_id = \(organizationId) FOR UPDATE",
                    logger: logger
                )
            else { return nil }
            guard old.revokedAt == nil, old.rolledToId == nil else {
                throw StoreError.conflict("key \(id) was already revoked or rolled")
            }
            try await connection.insert(replacement, logger: logger)
            old.expiresAt = min(old.expiresAt ?? .max, oldExpiresAt)
            old.rolledToId = replacement.id
            old.updatedAt = replacement.createdAt
            try await connection.update(old, logger: logger)
            Self.afterCommit?.note(.keys)
            try await connection.insert(audit, logger: logger)
            return old
        }
    }

    /// Moves each key's `last_used_at` forward (never back), one statement for the batch.
    package func recordKeyUsage(_ lastUsed: [String: Int64]) async throws {
        guard !lastUsed.isEmpty else { return }
        let ids = Array(lastUsed.keys).sorted()
        let times = ids.map { lastUsed[$0]! }
        try await write { connection in
            try await connection.run(
                """
                UPDATE api_keys SET last_used_at = greatest(coalesce(api_keys.last_used_at, 0), used.at)
                FROM unnest(\(ids)::text[], \(times)::bigint[]) AS used(id, at) WHERE api_keys.id = used.id
                """,
                logger: logger
            )
        }
    }

    package func apiKeysRevision() async throws -> String {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT (SELECT coalesce(sum(updated_at), 0)::bigint FROM api_keys), (SELECT count(*) FROM api_keys),
                       (SELECT coalesce(sum(updated_at), 0)::bigint FROM organizations),
                       (SELECT (coalesce(sum(updated_at), 0) + count(*))::bigint FROM platform_keys)
                """,
                logger: logger
            )
            for try await (sum, count, organizations, platform) in rows.decode((Int64, Int64, Int64, Int64).self) {
                return "\(sum)/\(count)/\(organizations)/\(platform)"
            }
            return ""
        }
    }
}
