import Foundation
import PorticoCore

/// Accounts and tenancy: organizations, users, memberships and invitations.
/// Every mutating method writes its audit entry in the same transaction.
package protocol AccountStore: Sendable {
    func createOrganization(_ organization: OrganizationRecord, audit: AuditEntryRecord) async throws
    func organization(id: String) async throws -> OrganizationRecord?
    /// Every organization, by id.
    func organizations() async throws -> [OrganizationRecord]
    /// Applies `change` to the organization and bumps `updated_at` (which every process's key cache
    /// watches), with the audit row, in one transaction; nil when the organization does not exist.
    func modifyOrganization(
        id: String,
        at now: Int64,
        audit: AuditEntryRecord,
        _ change: @escaping @Sendable (inout OrganizationRecord) -> Void
    ) async throws -> OrganizationRecord?

    /// Deletes the organization and everything it owns, and the members who belong to no other
    /// organization; staff audit rows about it are kept, detached (their details name it).
    /// `audit` must name no organization (it would go with it). False when there was none.
    func deleteOrganization(id: String, audit: AuditEntryRecord) async throws -> Bool

    /// A duplicate email is `StoreError.conflict`.
    func createUser(_ user: UserRecord, membership: MembershipRecord?, audit: AuditEntryRecord) async throws
    func user(email: String) async throws -> UserRecord?
    func user(id: String) async throws -> UserRecord?
    /// The user's organizations with their role, by name.
    func organizations(ofUser userId: String) async throws -> [UserOrganization]
    /// The organization's members, oldest first.
    func members(organizationId: String) async throws -> [Member]
    /// Open sign-up: organization, owner and membership together; a duplicate email is `StoreError.conflict`.
    /// With `confirmation`: the link that confirms the new address and the mail carrying it, in the same transaction.
    func signUp(
        user: UserRecord,
        organization: OrganizationRecord,
        membership: MembershipRecord,
        audit: [AuditEntryRecord],
        confirmation: (EmailConfirmationRecord, MailRecord)?
    ) async throws
    /// Nil when not a member; `StoreError.conflict` when it would leave no owner.
    func updateMemberRole(organizationId: String, userId: String, role: String, audit: AuditEntryRecord) async throws -> MembershipRecord?
    /// Removes the membership and the user's sessions in that organization;
    /// false when not a member; `StoreError.conflict` for the last owner.
    func removeMember(organizationId: String, userId: String, audit: AuditEntryRecord) async throws -> Bool

    /// The invitation, its audit row and (when given) the mail that carries its link, together.
    func insertInvitation(_ invitation: InvitationRecord, audit: AuditEntryRecord, mail: MailRecord?) async throws
    /// Sets a user's password from the account page: every other session of the user ends
    /// (`keepingSession` is the one making the change), and every reset link; the notice mail and audit row go with it.
    func changePassword(userId: String, passwordHash: String, keepingSession: Data, mail: MailRecord?, audit: AuditEntryRecord) async throws
    /// An address confirmation link (its token hashed) with the mails about it and its audit row, together;
    /// the user's earlier links of the same purpose stop working.
    func insertEmailConfirmation(_ confirmation: EmailConfirmationRecord, mails: [MailRecord], audit: AuditEntryRecord?) async throws
    /// An unused, unexpired confirmation link by its token's hash.
    func emailConfirmation(tokenHash: Data, now: Int64) async throws -> EmailConfirmationRecord?
    /// Uses a confirmation link (once): `verify` marks the address confirmed (if the account still
    /// has it), `change` moves the account to the link's address and ends every other link of the
    /// user. Writes `audit(link, userBefore)`. Nil when the link is unknown, used or expired;
    /// `StoreError.conflict` when another account has taken the address since.
    func confirmEmail(
        tokenHash: Data,
        now: Int64,
        audit: @escaping @Sendable (EmailConfirmationRecord, UserRecord) -> AuditEntryRecord
    ) async throws -> UserRecord?
    /// A reset link's row (its token hashed), its audit row and the mail carrying it, together.
    func requestPasswordReset(_ reset: PasswordResetRecord, mail: MailRecord, audit: AuditEntryRecord) async throws
    /// An unused, unexpired reset by its token's hash.
    func passwordReset(tokenHash: Data, now: Int64) async throws -> PasswordResetRecord?
    /// Uses the reset (once): sets the password, ends every session of the user and every other
    /// reset link, writes `audit(userId)`; nil when the link is unknown, used or expired.
    func resetPassword(
        tokenHash: Data,
        passwordHash: String,
        now: Int64,
        audit: @escaping @Sendable (String) -> AuditEntryRecord
    ) async throws -> UserRecord?
    /// Invitations neither accepted nor expired at `now`.
    func pendingInvitations(organizationId: String, now: Int64) async throws -> [InvitationRecord]
    /// A pending invitation by its token's hash.
    func invitation(tokenHash: Data, now: Int64) async throws -> InvitationRecord?
    /// Accepts a pending invitation for a new user (created) or an existing
    /// one; nil when the invitation is not pending.
    func acceptInvitation(
        tokenHash: Data,
        newUser: UserRecord?,
        existingUserId: String?,
        now: Int64,
        audit: AuditEntryRecord
    ) async throws -> (InvitationRecord, userId: String)?
}

extension AccountStore {
    package func signUp(user: UserRecord, organization: OrganizationRecord, membership: MembershipRecord, audit: [AuditEntryRecord]) async throws {
        try await signUp(user: user, organization: organization, membership: membership, audit: audit, confirmation: nil)
    }

    package func insertInvitation(_ invitation: InvitationRecord, audit: AuditEntryRecord) async throws {
        try await insertInvitation(invitation, audit: audit, mail: nil)
    }

    /// Changes what is given (nil leaves it); nil when the organization does not exist.
    package func updateOrganization(
        id: String,
        plan: String?,
        bodyCapture: Bool?,
        apiVersion: String?,
        at now: Int64,
        audit: AuditEntryRecord
    ) async throws -> OrganizationRecord? {
        try await modifyOrganization(id: id, at: now, audit: audit) { organization in
            if let plan { organization.plan = plan }
            if let bodyCapture { organization.bodyCapture = bodyCapture }
            if let apiVersion { organization.apiVersion = apiVersion }
        }
    }

    /// Suspends (`suspendedAt` set) or reactivates (nil) an organization; nil when it does not exist.
    package func setSuspended(organizationId: String, suspendedAt: Int64?, at now: Int64, audit: AuditEntryRecord) async throws -> OrganizationRecord?
    {
        try await modifyOrganization(id: organizationId, at: now, audit: audit) { $0.suspendedAt = suspendedAt }
    }

    package func updateOrganization(
        id: String,
        plan: String?,
        bodyCapture: Bool?,
        at now: Int64,
        audit: AuditEntryRecord
    ) async throws -> OrganizationRecord? {
        try await updateOrganization(id: id, plan: plan, bodyCapture: bodyCapture, apiVersion: nil, at: now, audit: audit)
    }
}
