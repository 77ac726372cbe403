import Foundation
import GRDB
import PorticoCore

// MARK: - Dashboard: users, memberships, sessions, invitations

extension SQLiteStore {
    package func user(email: String) async throws -> UserRecord? {
        try await read { db in try UserRecord.filter(Column("email") == email).fetchOne(db) }
    }

    package func user(id: String) async throws -> UserRecord? {
        try await read { db in try UserRecord.fetchOne(db, key: id) }
    }

    /// The organizations a user belongs to, by name.
    package func organizations(ofUser userId: String) async throws -> [UserOrganization] {
        try await read { db in try Self.organizations(ofUser: userId, db) }
    }

    private static func organizations(ofUser userId: String, _ db: Database) throws -> [UserOrganization] {
        let memberships = try MembershipRecord.filter(Column("user_id") == userId).fetchAll(db)
        return try memberships.compactMap { membership in
            try OrganizationRecord.fetchOne(db, key: membership.organizationId).map { UserOrganization(organization: $0, role: membership.role) }
        }.sorted { $0.organization.name.localizedStandardCompare($1.organization.name) == .orderedAscending }
    }

    package func members(organizationId: String) async throws -> [Member] {
        try await read { db in
            let memberships = try MembershipRecord.filter(Column("organization_id") == organizationId).order(Column("created_at")).fetchAll(db)
            return try memberships.compactMap { membership in
                try UserRecord.fetchOne(db, key: membership.userId).map { Member(membership: membership, user: $0) }
            }
        }
    }

    /// Signs a new user up with an organization of their own (open signup), in one transaction.
    package func signUp(
        user: UserRecord,
        organization: OrganizationRecord,
        membership: MembershipRecord,
        audit: [AuditEntryRecord],
        confirmation: (EmailConfirmationRecord, MailRecord)?
    ) async throws {
        try await writeTransaction { db in
            try organization.insert(db)
            do {
                try user.insert(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw StoreError.conflict("a user with this email already exists")
            }
            try membership.insert(db)
            for entry in audit { try entry.insert(db) }
            if let (link, mail) = confirmation {
                try link.insert(db)
                try self.insertMailInTransaction(mail, db)
            }
        }
    }

    // MARK: Account page: password and address

    package func changePassword(userId: String, passwordHash: String, keepingSession: Data, mail: MailRecord?, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [passwordHash, userId])
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE user_id = ? AND id_hash != ?", arguments: [userId, keepingSession])
            try Self.endLinks(of: userId, at: audit.createdAt, db)
            try audit.insert(db)
            if let mail { try self.insertMailInTransaction(mail, db) }
        }
    }

    /// Ends every unused reset and address link of a user: a new password, or a new address,
    /// leaves none of them working.
    static func endLinks(of userId: String, at now: Int64, _ db: Database) throws {
        try db.execute(sql: "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", arguments: [now, userId])
        try db.execute(sql: "UPDATE email_confirmations SET used_at = ? WHERE user_id = ? AND used_at IS NULL", arguments: [now, userId])
    }

    package func insertEmailConfirmation(_ confirmation: EmailConfirmationRecord, mails: [MailRecord], audit: AuditEntryRecord?) async throws {
        try await writeTransaction { db in
            try db.execute(
                sql: "UPDATE email_confirmations SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
                arguments: [confirmation.createdAt, confirmation.userId, confirmation.purpose.rawValue]
            )
            try confirmation.insert(db)
            for mail in mails { try self.insertMailInTransaction(mail, db) }
            try audit?.insert(db)
        }
    }

    package func emailConfirmation(tokenHash: Data, now: Int64) async throws -> EmailConfirmationRecord? {
        try await read { db in try Self.pendingConfirmation(tokenHash, now, db) }
    }

    private static func pendingConfirmation(_ tokenHash: Data, _ now: Int64, _ db: Database) throws -> EmailConfirmationRecord? {
        try EmailConfirmationRecord.filter(Column("token_hash") == tokenHash && Column("used_at") == nil && Column("expires_at") > now).fetchOne(db)
    }

    package func confirmEmail(
        tokenHash: Data,
        now: Int64,
        audit: @escaping @Sendable (EmailConfirmationRecord, UserRecord) -> AuditEntryRecord
    ) async throws -> UserRecord? {
        try await writeTransaction { db in
            guard var link = try Self.pendingConfirmation(tokenHash, now, db), var user = try UserRecord.fetchOne(db, key: link.userId) else {
                return nil
            }
            let previous = user
            link.usedAt = now
            try link.update(db)
            switch link.purpose {
            case .verify:
                // A sign-up link confirms only the address the account still has.
                guard user.email.caseInsensitiveCompare(link.email) == .orderedSame else { return nil }
                if user.emailVerifiedAt == nil { user.emailVerifiedAt = now }
            case .change:
                user.email = link.email
                user.emailVerifiedAt = now
                // Links sent to the old address stop working with it.
                try Self.endLinks(of: user.id, at: now, db)
            }
            do {
                try user.update(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw StoreError.conflict("another account has this email")
            }
            try audit(link, previous).insert(db)
            return user
        }
    }

    /// Changes a member's role. Refused (`StoreError.conflict`) when it would leave the organization without an owner.
    package func updateMemberRole(
        organizationId: String,
        userId: String,
        role: String,
        audit: AuditEntryRecord
    ) async throws -> MembershipRecord? {
        try await writeTransaction { db in
            guard var membership = try MembershipRecord.fetchOne(db, key: ["organization_id": organizationId, "user_id": userId])
            else { return nil }
            if membership.role == "owner", role != "owner", try Self.ownerCount(organizationId, db) <= 1 {
                throw StoreError.conflict("an organization keeps at least one owner")
            }
            membership.role = role
            try membership.update(db)
            try audit.insert(db)
            return membership
        }
    }

    /// Removes a member and ends their sessions in that organization; false when they were not a member.
    package func removeMember(organizationId: String, userId: String, audit: AuditEntryRecord) async throws -> Bool {
        try await writeTransaction { db in
            guard let membership = try MembershipRecord.fetchOne(db, key: ["organization_id": organizationId, "user_id": userId])
            else { return false }
            if membership.role == "owner", try Self.ownerCount(organizationId, db) <= 1 {
                throw StoreError.conflict("an organization keeps at least one owner")
            }
            try membership.delete(db)
            try DashboardSessionRecord.filter(Column("organization_id") == organizationId && Column("user_id") == userId).deleteAll(db)
            try audit.insert(db)
            return true
        }
    }

    private static func ownerCount(_ organizationId: String, _ db: Database) throws -> Int {
        try MembershipRecord.filter(Column("organization_id") == organizationId && Column("role") == "owner").fetchCount(db)
    }

    // MARK: Sessions

    package func insertSession(_ session: DashboardSessionRecord, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            try session.insert(db)
            try audit.insert(db)
        }
    }

    /// The session, its user and every organization they belong to (one read), if both exist.
    package func session(idHash: Data) async throws -> (DashboardSessionRecord, UserRecord, [UserOrganization])? {
        try await read { db in
            guard let session = try DashboardSessionRecord.fetchOne(db, key: idHash),
                let user = try UserRecord.fetchOne(db, key: session.userId)
            else { return nil }
            return (session, user, try Self.organizations(ofUser: user.id, db))
        }
    }

    package func saveSession(_ session: DashboardSessionRecord, audit: AuditEntryRecord?) async throws {
        try await writeTransaction { db in
            try session.update(db)
            try audit?.insert(db)
        }
    }

    package func deleteSession(idHash: Data, audit: AuditEntryRecord?) async throws {
        try await writeTransaction { db in
            _ = try DashboardSessionRecord.deleteOne(db, key: idHash)
            try audit?.insert(db)
        }
    }

    /// Deletes sessions idle since `idleBefore` or created before `createdBefore`.
    package func pruneSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        try await pruneSessions(in: "dashboard_sessions", idleBefore: idleBefore, createdBefore: createdBefore)
    }

    // MARK: Invitations

    package func insertInvitation(_ invitation: InvitationRecord, audit: AuditEntryRecord, mail: MailRecord?) async throws {
        try await writeTransaction { db in
            try invitation.insert(db)
            try audit.insert(db)
            if let mail { try self.insertMailInTransaction(mail, db) }
        }
    }

    package func requestPasswordReset(_ reset: PasswordResetRecord, mail: MailRecord, audit: AuditEntryRecord) async throws {
        try await writeTransaction { db in
            try reset.insert(db)
            try audit.insert(db)
            try self.insertMailInTransaction(mail, db)
        }
    }

    package func passwordReset(tokenHash: Data, now: Int64) async throws -> PasswordResetRecord? {
        try await read { db in
            try PasswordResetRecord.filter(Column("token_hash") == tokenHash && Column("used_at") == nil && Column("expires_at") > now).fetchOne(db)
        }
    }

    package func resetPassword(
        tokenHash: Data,
        passwordHash: String,
        now: Int64,
        audit: @escaping @Sendable (String) -> AuditEntryRecord
    ) async throws -> UserRecord? {
        try await writeTransaction { db in
            guard
                var reset = try PasswordResetRecord.filter(
                    Column("token_hash") == tokenHash && Column("used_at") == nil && Column("expires_at") > now
                ).fetchOne(db),
                var user = try UserRecord.fetchOne(db, key: reset.userId)
            else { return nil }
            reset.usedAt = now
            try reset.update(db)
            // Every other link of this user dies with this one (an address change asked for with a
            // stolen password included), and every session.
            try Self.endLinks(of: user.id, at: now, db)
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE user_id = ?", arguments: [user.id])
            user.passwordHash = passwordHash
            try user.update(db)
            try audit(user.id).insert(db)
            return user
        }
    }

    /// Invitations not yet accepted nor expired.
    package func pendingInvitations(organizationId: String, now: Int64) async throws -> [InvitationRecord] {
        try await read { db in
            try InvitationRecord
                .filter(Column("organization_id") == organizationId && Column("accepted_at") == nil && Column("expires_at") > now)
                .order(Column("id")).fetchAll(db)
        }
    }

    package func invitation(tokenHash: Data, now: Int64) async throws -> InvitationRecord? {
        try await read { db in
            try InvitationRecord
                .filter(Column("token_hash") == tokenHash && Column("accepted_at") == nil && Column("expires_at") > now)
                .fetchOne(db)
        }
    }

    /// Accepts an invitation: creates the user when `newUser` is given (else
    /// `existingUserId` joins), adds the membership, marks the invitation used.
    /// Nil when the invitation is gone, used or expired.
    package func acceptInvitation(
        tokenHash: Data,
        newUser: UserRecord?,
        existingUserId: String?,
        now: Int64,
        audit: AuditEntryRecord
    ) async throws -> (InvitationRecord, userId: String)? {
        try await writeTransaction { db in
            guard
                var invitation =
                    try InvitationRecord
                    .filter(Column("token_hash") == tokenHash && Column("accepted_at") == nil && Column("expires_at") > now)
                    .fetchOne(db)
            else { return nil }
            let userId: String
            if let newUser {
                do {
                    try newUser.insert(db)
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                    throw StoreError.conflict("a user with this email already exists")
                }
                userId = newUser.id
            } else if let existingUserId {
                userId = existingUserId
            } else {
                return nil
            }
            if try MembershipRecord.fetchOne(db, key: ["organization_id": invitation.organizationId, "user_id": userId]) == nil {
                try MembershipRecord(organizationId: invitation.organizationId, userId: userId, role: invitation.role, createdAt: now).insert(db)
            }
            invitation.acceptedAt = now
            try invitation.update(db)
            try audit.insert(db)
            return (invitation, userId)
        }
    }
}
