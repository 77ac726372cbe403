/// A row of `users`: a dashboard login, member of one or more organizations.
package struct UserRecord: Codable, Sendable, Equatable {
    package var id: String
    package var email: String
    package var name: String?
    /// A PHC-style scrypt string; never the password.
    package var passwordHash: String
    package var createdAt: Int64

    package init(id: String, email: String, name: String?, passwordHash: String, createdAt: Int64) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }

    package enum CodingKeys: String, CodingKey {
        case id, email, name
        case passwordHash = "password_hash"
        case createdAt = "created_at"
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
