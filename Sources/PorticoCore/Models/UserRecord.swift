/// A row of `users`: a dashboard login, member of one or more organizations.
package struct UserRecord: Codable, Sendable, Equatable {
    package var id: String
    package var email: String
    package var name: String?
    /// A PHC-style scrypt string; never the password.
    package var passwordHash: String
    package var createdAt: Int64
    /// When the address was confirmed; nil for an open sign-up that has not confirmed it yet
    /// (such an account cannot switch to live mode).
    package var emailVerifiedAt: Int64?
    /// The TOTP secret, sealed (`SecretBox`); set with `totpEnabledAt` at enrollment, never before.
    package var totpSecret: String?
    package var totpEnabledAt: Int64?
    /// The last TOTP time step accepted: a code for it or an earlier one is refused.
    package var totpLastStep: Int64

    package init(id: String, email: String, name: String?, passwordHash: String, createdAt: Int64, emailVerifiedAt: Int64?) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.emailVerifiedAt = emailVerifiedAt
        self.totpSecret = nil
        self.totpEnabledAt = nil
        self.totpLastStep = 0
    }

    package var isEmailVerified: Bool { emailVerifiedAt != nil }
    package var hasTwoFactor: Bool { totpEnabledAt != nil }

    package enum CodingKeys: String, CodingKey {
        case id, email, name
        case passwordHash = "password_hash"
        case createdAt = "created_at"
        case emailVerifiedAt = "email_verified_at"
        case totpSecret = "totp_secret"
        case totpEnabledAt = "totp_enabled_at"
        case totpLastStep = "totp_last_step"
    }
}

/// A row of `memberships`: a user's role in one organization.
package struct MembershipRecord: Codable, Sendable, Equatable {
    package var organizationId: String
    package var userId: String
    package var role: String
    package var createdAt: Int64

    package init(organizationId: String, userId: String, role: String, createdAt: Int64) {
        self.organizationId = organizationId
        self.userId = userId
        self.role = role
        self.createdAt = createdAt
    }

    package enum CodingKeys: String, CodingKey {
        case organizationId = "organization_id"
        case userId = "user_id"
        case role
        case createdAt = "created_at"
    }
}
