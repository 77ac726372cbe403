import Foundation
import GRDB
import PorticoCore

// MARK: - Platform keys and recorded usage

extension PlatformKeyRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "platform_keys"
}

extension UsageRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "usage_records"
}

extension SQLiteStore {
    package func insertPlatformKey(_ key: PlatformKeyRecord, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            try key.insert(db)
            try audit.insert(db)
        }
    }

    package func platformKey(secretHash hash: Data) async throws -> PlatformKeyRecord? {
        try await read { db in try PlatformKeyRecord.filter(Column("secret_hash") == hash).fetchOne(db) }
    }

    package func platformKeys() async throws -> [PlatformKeyRecord] {
        try await read { db in try PlatformKeyRecord.order(Column("created_at").desc, Column("id").desc).fetchAll(db) }
    }

    package func revokePlatformKey(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> PlatformKeyRecord? {
        try await writeTransaction { db in
            guard var key = try PlatformKeyRecord.fetchOne(db, key: id) else { return nil }
            guard key.revokedAt == nil else { return key }
            key.revokedAt = now
            key.updatedAt = now
            try key.update(db)
            try audit.insert(db)
            return key
        }
    }

    package func recordUsage(
        _ record: UsageRecord,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<UsageRecord>?
    ) async throws -> (record: UsageRecord, created: Bool) {
        try await write(completing: completion?.pullback { (outcome: (record: UsageRecord, created: Bool)) in outcome.record }) { db in
            if let existing = try UsageRecord.filter(
                Column("organization_id") == record.organizationId && Column("livemode") == record.livemode
                    && Column("idempotency_key") == record.idempotencyKey
            ).fetchOne(db) {
                return (record: existing, created: false)
            }
            try record.insert(db)
            let bucket = UsageIncrement(
                organizationId: record.organizationId,
                livemode: record.livemode,
                hourStart: record.timestamp - record.timestamp % 3_600_000,
                metric: record.metric,
                keyId: ""
            )
            try self.addUsage([bucket: record.quantity], in: db)
            try audit.insert(db)
            return (record: record, created: true)
        }
    }
}
