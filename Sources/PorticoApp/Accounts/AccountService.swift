import Foundation
import PorticoCore
import PorticoStore

/// Creates organizations and users (the CLI and the sandbox seed use it; the
/// dashboard will too), each with its audit row.
public struct AccountService: Sendable {
    let store: any AccountStore
    let clock: any PorticoClock
    let hasher: PasswordHasher
    /// Plan new organizations start on (`billing.default_plan`).
    let defaultPlan: String

    package func createOrganization(name: String, by actor: AuditActor) async throws -> OrganizationRecord {
        let organization = try newOrganization(name: name)
        try await store.createOrganization(organization, audit: created(organization, by: actor))
        return organization
    }

    /// A checked organization row, not yet stored.
    func newOrganization(name: String) throws -> OrganizationRecord {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(trimmed.count) else {
            throw KeyRequestError(param: "name", description: "an organization name must be 1 to 200 characters")
        }
        let now = clock.nowMilliseconds
        // New organizations start on the newest API version; older ones keep the version they were built against.
        return OrganizationRecord(
            id: Identifier.make("org", at: now),
            name: trimmed,
            plan: defaultPlan,
            createdAt: now,
            apiVersion: APIVersions.current.id
        )
    }

    private func created(_ organization: OrganizationRecord, by actor: AuditActor) -> AuditEntryRecord {
        actor.entry(
            "organization.created",
            organizationID: organization.id,
            targetType: "organization",
            targetID: organization.id,
            details: ["name": organization.name],
            at: organization.createdAt
        )
    }

    /// Creates a user and, when `organizationID` is given, makes them a member with `role`.
    package func createUser(
        email: String,
        password: String,
        name: String? = nil,
        organizationID: String?,
        role: String = "owner",
        by actor: AuditActor
    ) async throws -> UserRecord {
        guard Role(rawValue: role) != nil else {
            throw KeyRequestError(param: "role", description: "role must be owner, admin, developer or viewer")
        }
        let user = try newUser(email: email, password: password, name: name)
        let membership = organizationID.map { MembershipRecord(organizationId: $0, userId: user.id, role: role, createdAt: user.createdAt) }
        let audit = actor.entry(
            "user.created",
            organizationID: organizationID,
            targetType: "user",
            targetID: user.id,
            details: ["email": user.email, "role": organizationID == nil ? "" : role],
            at: user.createdAt
        )
        try await store.createUser(user, membership: membership, audit: audit)
        return user
    }

    /// A checked user row with its password hashed, not yet stored. Its address counts as confirmed
    /// (an operator typed it, or an invitation was sent to it) unless `verified` says otherwise.
    func newUser(email: String, password: String, name: String?, verified: Bool = true) throws -> UserRecord {
        let email = try Self.checkedCredentials(email: email, password: password)
        let name = name?.trimmingCharacters(in: .whitespacesAndNewlines)
        let now = clock.nowMilliseconds
        return UserRecord(
            id: Identifier.make("usr", at: now),
            email: email,
            name: name?.isEmpty == false ? name : nil,
            passwordHash: try hasher.hash(password),
            createdAt: now,
            emailVerifiedAt: verified ? now : nil
        )
    }

    /// The rule every account's credentials follow (dashboard users and staff): a plausible
    /// email, trimmed and lowercased (returned), and a password of 12 to 1,024 characters.
    static func checkedCredentials(email: String, password: String) throws -> String {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard EmailAddress.isPlausible(email) else {
            throw KeyRequestError(param: "email", description: "'\(email)' is not an email address")
        }
        guard password.count >= 12 else {
            throw KeyRequestError(param: "password", description: "a password must be at least 12 characters")
        }
        guard password.count <= 1_024 else {
            throw KeyRequestError(param: "password", description: "a password must be at most 1,024 characters")
        }
        return email
    }

    /// Open sign-up: a new user who owns a new organization, in one transaction.
    func signUp(
        email: String,
        password: String,
        name: String?,
        organizationName: String,
        by actor: AuditActor,
        confirmation: (@Sendable (UserRecord) -> (EmailConfirmationRecord, MailRecord)?)? = nil
    ) async throws -> (UserRecord, OrganizationRecord) {
        let organization = try newOrganization(name: organizationName)
        // With a confirmation link to send, the address stays unconfirmed until it is used.
        let user = try newUser(email: email, password: password, name: name, verified: confirmation == nil)
        let membership = MembershipRecord(organizationId: organization.id, userId: user.id, role: "owner", createdAt: user.createdAt)
        var actor = actor
        actor.id = user.id
        let audit = [
            created(organization, by: actor),
            actor.entry(
                "user.created",
                organizationID: organization.id,
                targetType: "user",
                targetID: user.id,
                details: ["email": user.email, "role": "owner"],
                at: user.createdAt
            ),
        ]
        try await store.signUp(user: user, organization: organization, membership: membership, audit: audit, confirmation: confirmation?(user) ?? nil)
        return (user, organization)
    }
}
