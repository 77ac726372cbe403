import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

// MARK: - Organizations, users and memberships

extension PostgresStore {
    package func createOrganization(_ organization: OrganizationRecord, audit: AuditEntryRecord) async throws {
        try await write { connection in
            try await connection.insert(organization, logger: logger)
            try await connection.insert(audit, logger: logger)
        }
    }

    package func organization(id: String) async throws -> OrganizationRecord? {
        try await read { connection in
            try await connection.one(OrganizationRecord.self, "SELECT * FROM organizations WHERE id = \(id)", logger: logger)
        }
    }

    package func organizations() async throws -> [OrganizationRecord] {
        try await read { connection in
            try await connection.all(OrganizationRecord.self, "SELECT * FROM organizations ORDER BY id", logger: logger)
        }
    }

    package func modifyOrganization(
        id: String,
        at now: Int64,
        audit: AuditEntryRecord,
        _ change: @escaping @Sendable (inout OrganizationRecord) -> Void
    ) async throws -> OrganizationRecord? {
        try await write { connection in
            guard
                var organization = try await connection.one(
                    OrganizationRecord.self,
                    "SELECT * FROM organizations WHERE id = \(id) FOR UPDATE",
                    logger: logger
                )
            else { return nil }
            change(&organization)
            organization.updatedAt = max(now, organization.updatedAt + 1)
            try await connection.update(organization, logger: logger)
            Self.afterCommit?.note(.keys)
            try await connection.insert(audit, logger: logger)
            return organization
        }
    }

    package func deleteOrganization(id: String, audit: AuditEntryRecord) async throws -> Bool {
        precondition(audit.organizationId == nil, "the organization's own audit rows go with it")
        return try await write { connection in
            guard try await connection.value(String.self, "SELECT id FROM organizations WHERE id = \(id) FOR UPDATE", logger: logger) != nil else {
                return false
            }
            // Staff rows about it are kept (the console's record of who did what), detached from it and
            // naming it in their details (appended as SQLite's json_set appends a new key).
            try await connection.run(
                """
                UPDATE audit_log SET organization_id = NULL,
                    details = CASE WHEN details = '{}' THEN '{"organization":' || to_json(\(id)::text)::text || '}'
                        ELSE left(details, -1) || ',"organization":' || to_json(\(id)::text)::text || '}' END
                WHERE organization_id = \(id) AND actor_type = 'staff'
                """,
                logger: logger
            )
            // Members who belong nowhere else would be left with an account that opens nothing.
            try await connection.run(
                """
                DELETE FROM users WHERE id IN (SELECT user_id FROM memberships WHERE organization_id = \(id))
                AND id NOT IN (SELECT user_id FROM memberships WHERE organization_id <> \(id))
                """,
                logger: logger
            )
            try await connection.run("DELETE FROM organizations WHERE id = \(id)", logger: logger)
            try await connection.insert(audit, logger: logger)
            Self.afterCommit?.note(.keys)
            return true
        }
    }

    /// Creates a user, optionally as a member of an organization, with its audit row.
    package func createUser(_ user: UserRecord, membership: MembershipRecord?, audit: AuditEntryRecord) async throws {
        try await write { connection in
            try await Self.insertNewUser(user, connection, logger)
            if let membership { try await connection.insert(membership, logger: logger) }
            try await connection.insert(audit, logger: logger)
        }
    }

    /// Inserts a user; a taken address (any case) is `StoreError.conflict`.
    static func insertNewUser(_ user: UserRecord, _ connection: PostgresConnection, _ logger: Logger) async throws {
        // ON CONFLICT keeps the transaction usable: a failed statement would abort it.
        let inserted = try await connection.insert(user, suffix: "ON CONFLICT DO NOTHING", logger: logger)
        if inserted == 0 { throw StoreError.conflict("a user with this email already exists") }
    }

    package func user(email: String) async throws -> UserRecord? {
        try await read { connection in
            try await connection.one(UserRecord.self, "SELECT * FROM users WHERE lower(email) = lower(\(email))", logger: logger)
        }
    }

    package func user(id: String) async throws -> UserRecord? {
        try await read { connection in try await connection.one(UserRecord.self, "SELECT * FROM users WHERE id = \(id)", logger: logger) }
    }

    package func organizations(ofUser userId: String) async throws -> [UserOrganization] {
        try await read { connection in try await Self.organizations(ofUser: userId, connection, logger) }
    }

    static func organizations(ofUser userId: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> [UserOrganization] {
        let memberships = try await connection.all(MembershipRecord.self, "SELECT * FROM memberships WHERE user_id = \(userId)", logger: logger)
        let organizations = try await connection.all(
            OrganizationRecord.self,
            "SELECT o.* FROM organizations o JOIN memberships m ON m.organization_id = o.id WHERE m.user_id = \(userId)",
            logger: logger
        )
        let byId = Dictionary(organizations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return memberships.compactMap { membership in
            byId[membership.organizationId].map { UserOrganization(organization: $0, role: membership.role) }
        }.sorted { $0.organization.name.localizedStandardCompare($1.organization.name) == .orderedAscending }
    }

    package func members(organizationId: String) async throws -> [Member] {
        try await read { connection in
            let memberships = try await connection.all(
                MembershipRecord.self,
                "SELECT * FROM memberships WHERE organization_id = \(organizationId) ORDER BY created_at",
                logger: logger
            )
            let users = try await connection.all(
                UserRecord.self,
                "SELECT u.* FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organization_id = \(organizationId)",
                logger: logger
            )
            let byId = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return memberships.compactMap { membership in byId[membership.userId].map { Member(membership: membership, user: $0) } }
        }
    }

    package func signUp(
        user: UserRecord,
        organization: OrganizationRecord,
        membership: MembershipRecord,
        audit: [AuditEntryRecord],
        confirmation: (EmailConfirmationRecord, MailRecord)?
    ) async throws {
        try await write { connection in
            try await connection.insert(organization, logger: logger)
            try await Self.insertNewUser(user, connection, logger)
            try await connection.insert(membership, logger: logger)
            for entry in audit { try await connection.insert(entry, logger: logger) }
            if let (link, mail) = confirmation {
                try await connection.insert(link, logger: logger)
                try await queueMail(mail, connection)
            }
        }
    }

    // MARK: Account page: password and address

    package func changePassword(userId: String, passwordHash: String, keepingSession: Data, mail: MailRecord?, audit: AuditEntryRecord) async throws {
        try await write { connection in
            try await connection.run("UPDATE users SET password_hash = \(passwordHash) WHERE id = \(userId)", logger: logger)
            try await connection.run("DELETE FROM dashboard_sessions WHERE user_id = \(userId) AND id_hash <> \(keepingSession)", logger: logger)
            try await Self.endLinks(of: userId, at: audit.createdAt, connection, logger)
            try await connection.insert(audit, logger: logger)
            if let mail { try await queueMail(mail, connection) }
        }
    }

    /// Ends every unused reset and address link of a user.
    static func endLinks(of userId: String, at now: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.run("UPDATE password_resets SET used_at = \(now) WHERE user_id = \(userId) AND used_at IS NULL", logger: logger)
        try await connection.run("UPDATE email_confirmations SET used_at = \(now) WHERE user_id = \(userId) AND used_at IS NULL", logger: logger)
    }

    package func insertEmailConfirmation(_ confirmation: EmailConfirmationRecord, mails: [MailRecord], audit: AuditEntryRecord?) async throws {
        try await write { connection in
            try await connection.run(
                """
                UPDATE email_confirmations SET used_at = \(confirmation.createdAt)
                WHERE user_id = \(confirmation.userId) AND purpose = \(confirmation.purpose.rawValue) AND used_at IS NULL
                """,
                logger: logger
            )
            try await connection.insert(confirmation, logger: logger)
            for mail in mails { try await queueMail(mail, connection) }
            if let audit { try await connection.insert(audit, logger: logger) }
        }
    }

    package func emailConfirmation(tokenHash: Data, now: Int64) async throws -> EmailConfirmationRecord? {
        try await read { connection in try await Self.pendingConfirmation(tokenHash, now, lock: false, connection, logger) }
    }

    private static func pendingConfirmation(
        _ tokenHash: Data,
        _ now: Int64,
        lock: Bool,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> EmailConfirmationRecord? {
        try await connection.one(
            EmailConfirmationRecord.self,
            "SELECT * FROM email_confirmations WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now) \(unescaped: lock ? "FOR UPDATE" : "")",
            logger: logger
        )
    }

    package func confirmEmail(
        tokenHash: Data,
        now: Int64,
        audit: @escaping @Sendable (EmailConfirmationRecord, UserRecord) -> AuditEntryRecord
    ) async throws -> UserRecord? {
        try await write { connection in
            guard var link = try await Self.pendingConfirmation(tokenHash, now, lock: true, connection, logger),
                var user = try await connection.one(UserRecord.self, "SELECT * FROM users WHERE id = \(link.userId) FOR UPDATE", logger: logger)
            else { return nil }
            let previous = user
            link.usedAt = now
            try await connection.update(link, key: "token_hash", logger: logger)
            switch link.purpose {
            case .verify:
                guard user.email.caseInsensitiveCompare(link.email) == .orderedSame else { return nil }
                if user.emailVerifiedAt == nil { user.emailVerifiedAt = now }
            case .change:
                let taken = try await connection.value(
                    String.self,
                    "SELECT id FROM users WHERE lower(email) = lower(\(link.email)) AND id <> \(user.id)",
                    logger: logger
                )
                if taken != nil { throw StoreError.conflict("another account has this email") }
                user.email = link.email
                user.emailVerifiedAt = now
                try await Self.endLinks(of: user.id, at: now, connection, logger)
            }
            do {
                try await connection.update(user, logger: logger)
            } catch let error where Self.isUniqueViolation(error) {
                throw StoreError.conflict("another account has this email")
            }
            try await connection.insert(audit(link, previous), logger: logger)
            return user
        }
    }

    package func updateMemberRole(organizationId: String, userId: String, role: String, audit: AuditEntryRecord) async throws -> MembershipRecord? {
        try await write { connection in
            guard var membership = try await Self.lockedMembership(organizationId, userId, connection, logger) else { return nil }
            if membership.role == "owner", role != "owner", try await Self.ownerCount(organizationId, connection, logger) <= 1 {
                throw StoreError.conflict("an organization keeps at least one owner")
            }
            membership.role = role
            try await connection.run(
                "UPDATE memberships SET role = \(role) WHERE organization_id = \(organizationId) AND user_id = \(userId)",
                logger: logger
            )
            try await connection.insert(audit, logger: logger)
            return membership
        }
    }

    package func removeMember(organizationId: String, userId: String, audit: AuditEntryRecord) async throws -> Bool {
        try await write { connection in
            guard let membership = try await Self.lockedMembership(organizationId, userId, connection, logger) else { return false }
            if membership.role == "owner", try await Self.ownerCount(organizationId, connection, logger) <= 1 {
                throw StoreError.conflict("an organization keeps at least one owner")
            }
            try await connection.run("DELETE FROM memberships WHERE organization_id = \(organizationId) AND user_id = \(userId)", logger: logger)
            try await connection.run(
                "DELETE FROM dashboard_sessions WHERE organization_id = \(organizationId) AND user_id = \(userId)",
                logger: logger
            )
            try await connection.insert(audit, logger: logger)
            return true
        }
    }

    /// The membership, with every membership of the organization locked: two owners demoting
    /// each other at once must not both see another owner left.
    private static func lockedMembership(
        _ organizationId: String,
        _ userId: String,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> MembershipRecord? {
        let all = try await connection.all(
            MembershipRecord.self,
            "SELECT * FROM memberships WHERE organization_id = \(organizationId) ORDER BY user_id FOR UPDATE",
            logger: logger
        )
        return all.first { $0.userId == userId }
    }

    private static func ownerCount(_ organizationId: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        try await connection.value(
            Int64.self,
            "SELECT count(*) FROM memberships WHERE organization_id = \(organizationId) AND role = 'owner'",
            logger: logger
        ) ?? 0
    }

    // MARK: Invitations and reset links

    package func insertInvitation(_ invitation: InvitationRecord, audit: AuditEntryRecord, mail: MailRecord?) async throws {
        try await write { connection in
            try await connection.insert(invitation, logger: logger)
            try await connection.insert(audit, logger: logger)
            if let mail { try await queueMail(mail, connection) }
        }
    }

    package func requestPasswordReset(_ reset: PasswordResetRecord, mail: MailRecord, audit: AuditEntryRecord) async throws {
        try await write { connection in
            try await connection.insert(reset, logger: logger)
            try await connection.insert(audit, logger: logger)
            try await queueMail(mail, connection)
        }
    }

    package func passwordReset(tokenHash: Data, now: Int64) async throws -> PasswordResetRecord? {
        try await read { connection in
            try await connection.one(
                PasswordResetRecord.self,
                "SELECT * FROM password_resets WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now)",
                logger: logger
            )
        }
    }

    package func resetPassword(
        tokenHash: Data,
        passwordHash: String,
        now: Int64,
        audit: @escaping @Sendable (String) -> AuditEntryRecord
    ) async throws -> UserRecord? {
        try await write { connection in
            guard
                var reset = try await connection.one(
                    PasswordResetRecord.self,
                    "SELECT * FROM password_resets WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now) FOR UPDATE",
                    logger: logger
                ),
                var user = try await connection.one(UserRecord.self, "SELECT * FROM users WHERE id = \(reset.userId) FOR UPDATE", logger: logger)
            else { return nil }
            reset.usedAt = now
            try await connection.update(reset, key: "token_hash", logger: logger)
            try await Self.endLinks(of: user.id, at: now, connection, logger)
            try await connection.run("DELETE FROM dashboard_sessions WHERE user_id = \(user.id)", logger: logger)
            user.passwordHash = passwordHash
            try await connection.update(user, logger: logger)
            try await connection.insert(audit(user.id), logger: logger)
            return user
        }
    }

    package func pendingInvitations(organizationId: String, now: Int64) async throws -> [InvitationRecord] {
        try await read { connection in
            try await connection.all(
                InvitationRecord.self,
                "SELECT * FROM invitations WHERE organization_id = \(organizationId) AND accepted_at IS NULL AND expires_at > \(now) ORDER BY id",
                logger: logger
            )
        }
    }

    package func invitation(tokenHash: Data, now: Int64) async throws -> InvitationRecord? {
        try await read { connection in
            try await connection.one(
                InvitationRecord.self,
                "SELECT * FROM invitations WHERE token_hash = \(tokenHash) AND accepted_at IS NULL AND expires_at > \(now)",
                logger: logger
            )
        }
    }

    package func acceptInvitation(
        tokenHash: Data,
        newUser: UserRecord?,
        existingUserId: String?,
        now: Int64,
        audit: AuditEntryRecord
    ) async throws -> (InvitationRecord, userId: String)? {
        let accepted: Accepted? = try await write { connection in
            guard
                var invitation = try await connection.one(
                    InvitationRecord.self,
                    "SELECT * FROM invitations WHERE token_hash = \(tokenHash) AND accepted_at IS NULL AND expires_at > \(now) FOR UPDATE",
                    logger: logger
                )
            else { return nil }
            let userId: String
            if let newUser {
                try await Self.insertNewUser(newUser, connection, logger)
                userId = newUser.id
            } else if let existingUserId {
                userId = existingUserId
            } else {
                return nil
            }
            try await connection.insert(
                MembershipRecord(organizationId: invitation.organizationId, userId: userId, role: invitation.role, createdAt: now),
                suffix: "ON CONFLICT DO NOTHING",
                logger: logger
            )
            invitation.acceptedAt = now
            try await connection.update(invitation, logger: logger)
            try await connection.insert(audit, logger: logger)
            return Accepted(invitation: invitation, userId: userId)
        }
        return accepted.map { ($0.invitation, $0.userId) }
    }

    private struct Accepted: Sendable {
        var invitation: InvitationRecord
        var userId: String
    }
}

// MARK: - Audit log

extension PostgresStore {
    package func auditEntries(organizationId: String, page: PageRequest) async throws -> Page<AuditEntryRecord> {
        try await read { connection in
            try await connection.page(
                AuditEntryRecord.self,
                from: "audit_log",
                where: "organization_id = \(organizationId)",
                page: page,
                logger: logger
            )
        }
    }

    package func auditEntries(targetId: String) async throws -> [AuditEntryRecord] {
        try await read { connection in
            try await connection.all(AuditEntryRecord.self, "SELECT * FROM audit_log WHERE target_id = \(targetId) ORDER BY id", logger: logger)
        }
    }
}
