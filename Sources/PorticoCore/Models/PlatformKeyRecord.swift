import Foundation

/// A platform key (`tk_test_…`, `tk_live_…`): the operating team's own
/// backend acting for any organization it names. Made only by the CLI;
/// like every key, stored as a hash with its prefix and last four.
package struct PlatformKeyRecord: Codable, Sendable, Equatable {
    package var id: String
    package var livemode: Bool
    package var label: String?
    package var secretHash: Data
    package var prefix: String
    package var last4: String
    package var createdAt: Int64
    package var revokedAt: Int64?
    package var updatedAt: Int64

    package enum CodingKeys: String, CodingKey {
        case id, livemode, label, prefix, last4
        case secretHash = "secret_hash"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case updatedAt = "updated_at"
    }

    package init(
        id: String,
        livemode: Bool,
        label: String?,
        secretHash: Data,
        prefix: String,
        last4: String,
        createdAt: Int64,
        revokedAt: Int64? = nil,
        updatedAt: Int64
    ) {
        self.id = id
        self.livemode = livemode
        self.label = label
        self.secretHash = secretHash
        self.prefix = prefix
        self.last4 = last4
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.updatedAt = updatedAt
    }
}

/// Usage the team's backend measured after the fact (`POST /v1/usage-records`),
/// kept so a retry with the same `idempotency_key` adds nothing.
package struct UsageRecord: Codable, Sendable, Equatable {
    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var metric: String
    package var quantity: Int64
    /// When the usage happened (it is counted in that hour).
    package var timestamp: Int64
    package var idempotencyKey: String
    /// The platform key that recorded it.
    package var recordedBy: String
    package var createdAt: Int64

    package enum CodingKeys: String, CodingKey {
        case id, livemode, metric, quantity, timestamp
        case organizationId = "organization_id"
        case idempotencyKey = "idempotency_key"
        case recordedBy = "recorded_by"
        case createdAt = "created_at"
    }

    package init(
        id: String,
        organizationId: String,
        livemode: Bool,
        metric: String,
        quantity: Int64,
        timestamp: Int64,
        idempotencyKey: String,
        recordedBy: String,
        createdAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.livemode = livemode
        self.metric = metric
        self.quantity = quantity
        self.timestamp = timestamp
        self.idempotencyKey = idempotencyKey
        self.recordedBy = recordedBy
        self.createdAt = createdAt
    }
}
