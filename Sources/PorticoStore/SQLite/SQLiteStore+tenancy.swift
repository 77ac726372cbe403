import GRDB
import PorticoCore

// MARK: - Organizations, users and memberships

extension SQLiteStore {
    /// Creates an organization and its audit row in one transaction.
    package func createOrganization(_ organization: OrganizationRecord, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            try organization.insert(db)
            try audit.insert(db)
        }
    }

    package func organization(id: String) async throws -> OrganizationRecord? {
        try await read { db in try OrganizationRecord.fetchOne(db, key: id) }
    }

    package func organizations() async throws -> [OrganizationRecord] {
        try await read { db in try OrganizationRecord.order(Column("id")).fetchAll(db) }
    }

    package func modifyOrganization(
        id: String,
        at now: Int64,
        audit: AuditEntryRecord,
        _ change: @escaping @Sendable (inout OrganizationRecord) -> Void
    ) async throws -> OrganizationRecord? {
        try await writeTransaction { db in
            guard var organization = try OrganizationRecord.fetchOne(db, key: id) else { return nil }
            change(&organization)
            organization.updatedAt = max(now, organization.updatedAt + 1)
            try organization.update(db)
            try audit.insert(db)
            return organization
        }
    }

    package func deleteOrganization(id: String, audit: AuditEntryRecord) async throws -> Bool {
        precondition(audit.organizationId == nil, "the organization's own audit rows go with it")
        return try await writeTransaction { db in
            guard try OrganizationRecord.exists(db, key: id) else { return false }
            // Staff rows about it are kept (the console's record of who did what), detached from it.
            try db.execute(
                sql: """
                    UPDATE audit_log SET organization_id = NULL, details = json_set(details, '$.organization', ?)
                    WHERE organization_id = ? AND actor_type = 'staff'
                    """,
                arguments: [id, id]
            )
            // Members who belong nowhere else would be left with an account that opens nothing.
            try db.execute(
                sql: """
                    DELETE FROM users WHERE id IN (SELECT user_id FROM memberships WHERE organization_id = ?)
                    AND id NOT IN (SELECT user_id FROM memberships WHERE organization_id != ?)
                    """,
                arguments: [id, id]
            )
            try db.execute(sql: "DELETE FROM organizations WHERE id = ?", arguments: [id])
            try audit.insert(db)
            return true
        }
    }

    /// Creates a user, optionally as a member of an organization, with its audit row.
    /// Throws `StoreError.conflict` when the email is taken.
    package func createUser(_ user: UserRecord, membership: MembershipRecord?, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            do {
                try user.insert(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw StoreError.conflict("a user with this email already exists")
            }
            if let membership { try membership.insert(db) }
            try audit.insert(db)
        }
    }
}
