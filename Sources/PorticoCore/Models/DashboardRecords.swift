import Foundation

/// A row of `dashboard_sessions`: one signed-in browser. Keyed by the
/// SHA-256 of the cookie value, never the value itself.
package struct DashboardSessionRecord: Codable, Sendable, Equatable {
    package var idHash: Data
    package var userId: String
    /// The organization and mode the session is looking at (the switcher and the toggle change them).
    package var organizationId: String
    package var livemode: Bool
    package var createdAt: Int64
    package var lastSeenAt: Int64
    /// When the second factor was passed, or the sign-in for an account without one; nil: only
    /// the two-factor step is served.
    package var verifiedAt: Int64?

    package init(idHash: Data, userId: String, organizationId: String, livemode: Bool, createdAt: Int64, verified: Bool = true) {
        self.idHash = idHash
        self.userId = userId
        self.organizationId = organizationId
        self.livemode = livemode
        self.createdAt = createdAt
        self.lastSeenAt = createdAt
        self.verifiedAt = verified ? createdAt : nil
    }

    package enum CodingKeys: String, CodingKey {
        case idHash = "id_hash"
        case userId = "user_id"
        case organizationId = "organization_id"
        case livemode
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case verifiedAt = "verified_at"
    }
}

/// A row of `invitations`: an emailed link that makes its holder a member.
/// Only the SHA-256 of the link's token is kept.
package struct InvitationRecord: Codable, Sendable, Equatable {
    package var id: String
    package var tokenHash: Data
    package var organizationId: String
    package var email: String
    package var role: String
    package var invitedBy: String?
    package var createdAt: Int64
    package var expiresAt: Int64
    package var acceptedAt: Int64?

    package init(
        id: String,
        tokenHash: Data,
        organizationId: String,
        email: String,
        role: String,
        invitedBy: String?,
        createdAt: Int64,
        expiresAt: Int64
    ) {
        self.id = id
        self.tokenHash = tokenHash
        self.organizationId = organizationId
        self.email = email
        self.role = role
        self.invitedBy = invitedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.acceptedAt = nil
    }

    package enum CodingKeys: String, CodingKey {
        case id, email, role
        case tokenHash = "token_hash"
        case organizationId = "organization_id"
        case invitedBy = "invited_by"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case acceptedAt = "accepted_at"
    }
}

/// A member as the members page shows them: the membership and its user.
package struct Member: Sendable, Equatable {
    package var membership: MembershipRecord
    package var user: UserRecord

    package init(membership: MembershipRecord, user: UserRecord) {
        self.membership = membership
        self.user = user
    }
}

/// One organization a user belongs to, with their role there.
package struct UserOrganization: Sendable, Equatable {
    package var organization: OrganizationRecord
    package var role: String

    package init(organization: OrganizationRecord, role: String) {
        self.organization = organization
        self.role = role
    }
}

/// A row of `password_resets`: a reset link, kept only as the SHA-256 of its token; usable once, until `expiresAt`.
/// A row of `email_confirmations`: a single-use link that confirms `email` for a user.
package struct EmailConfirmationRecord: Codable, Sendable, Equatable {
    package enum Purpose: String, Codable, Sendable {
        /// An open sign-up confirms the address it signed up with.
        case verify
        /// The account moves to `email`, the address the link was sent to.
        case change
    }

    package var tokenHash: Data
    package var userId: String
    package var email: String
    package var purpose: Purpose
    package var createdAt: Int64
    package var expiresAt: Int64
    package var usedAt: Int64?

    package init(tokenHash: Data, userId: String, email: String, purpose: Purpose, createdAt: Int64, expiresAt: Int64) {
        self.tokenHash = tokenHash
        self.userId = userId
        self.email = email
        self.purpose = purpose
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = nil
    }

    package enum CodingKeys: String, CodingKey {
        case tokenHash = "token_hash"
        case userId = "user_id"
        case email, purpose
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
    }
}

package struct PasswordResetRecord: Codable, Sendable, Equatable {
    package var tokenHash: Data
    package var userId: String
    package var createdAt: Int64
    package var expiresAt: Int64
    package var usedAt: Int64?

    package init(tokenHash: Data, userId: String, createdAt: Int64, expiresAt: Int64) {
        self.tokenHash = tokenHash
        self.userId = userId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = nil
    }

    package enum CodingKeys: String, CodingKey {
        case tokenHash = "token_hash"
        case userId = "user_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
    }
}
