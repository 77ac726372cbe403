import Foundation

/// A row of `api_keys`. The key itself is never stored: only its SHA-256,
/// its public prefix (`sk_test_`) and its last four characters.
package struct APIKeyRecord: Codable, Sendable, Equatable {
    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var kind: String
    package var label: String?
    package var secretHash: Data
    package var prefix: String
    package var last4: String
    /// Space-separated scope names.
    package var scopes: String
    /// Space-separated CIDR blocks; empty means any address.
    package var allowedCidrs: String
    package var expiresAt: Int64?
    package var revokedAt: Int64?
    package var rolledToId: String?
    package var lastUsedAt: Int64?
    package var createdAt: Int64
    package var updatedAt: Int64

    package init(
        id: String,
        organizationId: String,
        livemode: Bool,
        kind: String,
        label: String?,
        secretHash: Data,
        prefix: String,
        last4: String,
        scopes: String,
        allowedCidrs: String,
        expiresAt: Int64?,
        revokedAt: Int64? = nil,
        rolledToId: String? = nil,
        lastUsedAt: Int64? = nil,
        createdAt: Int64,
        updatedAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.livemode = livemode
        self.kind = kind
        self.label = label
        self.secretHash = secretHash
        self.prefix = prefix
        self.last4 = last4
        self.scopes = scopes
        self.allowedCidrs = allowedCidrs
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.rolledToId = rolledToId
        self.lastUsedAt = lastUsedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    package enum CodingKeys: String, CodingKey {
        case id
        case organizationId = "organization_id"
        case livemode, kind, label
        case secretHash = "secret_hash"
        case prefix, last4, scopes
        case allowedCidrs = "allowed_cidrs"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case rolledToId = "rolled_to_id"
        case lastUsedAt = "last_used_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
