import Foundation
import PorticoStore

/// Creates organizations and users (the CLI and the sandbox seed use it; the
/// dashboard will too), each with its audit row.
public struct AccountService: Sendable {
    let store: Store
    let clock: any PorticoClock
    let hasher: PasswordHasher
    /// Plan new organizations start on (`billing.default_plan`).
    let defaultPlan: String

    package func createOrganization(name: String, by actor: AuditActor) async throws -> OrganizationRecord {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(trimmed.count) else {
            throw KeyRequestError(param: "name", description: "an organization name must be 1 to 200 characters")
        }
        let now = clock.nowMilliseconds
        let organization = OrganizationRecord(id: Identifier.make("org", at: now), name: trimmed, plan: defaultPlan, createdAt: now)
        let audit = actor.entry(
            "organization.created", organizationID: organization.id, targetType: "organization", targetID: organization.id,
            details: ["name": trimmed], at: now)
        try await store.createOrganization(organization, audit: audit)
        return organization
    }

    /// Creates a user and, when `organizationID` is given, makes them a member with `role`.
    package func createUser(
        email: String, password: String, name: String? = nil, organizationID: String?, role: String = "owner", by actor: AuditActor
    ) async throws -> UserRecord {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard Self.isPlausibleEmail(email) else {
            throw KeyRequestError(param: "email", description: "'\(email)' is not an email address")
        }
        guard password.count >= 12 else {
            throw KeyRequestError(param: "password", description: "a password must be at least 12 characters")
        }
        guard ["owner", "admin", "developer", "viewer"].contains(role) else {
            throw KeyRequestError(param: "role", description: "role must be owner, admin, developer or viewer")
        }
        let now = clock.nowMilliseconds
        let user = UserRecord(id: Identifier.make("usr", at: now), email: email, name: name, passwordHash: try hasher.hash(password), createdAt: now)
        let membership = organizationID.map { MembershipRecord(organizationId: $0, userId: user.id, role: role, createdAt: now) }
        let audit = actor.entry(
            "user.created", organizationID: organizationID, targetType: "user", targetID: user.id,
            details: ["email": email, "role": organizationID == nil ? "" : role], at: now)
        try await store.createUser(user, membership: membership, audit: audit)
        return user
    }

    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && email.count <= 254 && !email.contains(where: \.isWhitespace)
    }
}
