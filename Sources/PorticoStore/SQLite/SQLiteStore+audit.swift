import GRDB
import PorticoCore

// MARK: - Audit log

extension SQLiteStore {
    /// The organization's audit entries, newest first.
    package func auditEntries(organizationId: String, page: PageRequest) async throws -> Page<AuditEntryRecord> {
        try await read { db in
            try AuditEntryRecord
                .filter(AuditEntryRecord.Columns.organizationId == organizationId)
                .page(page, id: AuditEntryRecord.Columns.id, db: db)
        }
    }

    /// Every audit entry about one target, oldest first.
    package func auditEntries(targetId: String) async throws -> [AuditEntryRecord] {
        try await read { db in
            try AuditEntryRecord.filter(Column("target_id") == targetId).order(AuditEntryRecord.Columns.id).fetchAll(db)
        }
    }
}
