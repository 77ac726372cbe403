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

    /// Changes an organization's plan and/or body capture, with its audit row; nil when there is no such organization.
    package func updateOrganization(
        id: String,
        plan: String?,
        bodyCapture: Bool?,
        apiVersion: String?,
        at now: Int64,
        audit: AuditEntryRecord
    ) async throws -> OrganizationRecord? {
        try await writeTransaction { db in
            guard var organization = try OrganizationRecord.fetchOne(db, key: id) else { return nil }
            if let plan { organization.plan = plan }
            if let bodyCapture { organization.bodyCapture = bodyCapture }
            if let apiVersion { organization.apiVersion = apiVersion }
            organization.updatedAt = max(now, organization.updatedAt + 1)
            try organization.update(db)
            try audit.insert(db)
            return organization
        }
    }

    package func setSuspended(organizationId: String, suspendedAt: Int64?, at now: Int64, audit: AuditEntryRecord) async throws -> OrganizationRecord?
    {
        try await writeTransaction { db in
            guard var organization = try OrganizationRecord.fetchOne(db, key: organizationId) else { return nil }
            organization.suspendedAt = suspendedAt
            organization.updatedAt = max(now, organization.updatedAt + 1)
            try organization.update(db)
            try audit.insert(db)
            return organization
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
