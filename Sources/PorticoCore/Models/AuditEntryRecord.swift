/// A row of `audit_log`: who did what to which object, when and from where.
package struct AuditEntryRecord: Codable, Sendable, Equatable {
    package var id: String
    package var organizationId: String?
    /// `user`, `api_key`, `cli` or `system`.
    package var actorType: String
    package var actorId: String?
    /// Dot-delimited, e.g. `api_key.rolled`.
    package var action: String
    package var targetType: String
    package var targetId: String
    package var ip: String?
    package var requestId: String?
    /// A JSON object with action-specific details (never a secret).
    package var details: String
    package var createdAt: Int64

    package init(
        id: String,
        organizationId: String?,
        actorType: String,
        actorId: String?,
        action: String,
        targetType: String,
        targetId: String,
        ip: String?,
        requestId: String?,
        details: String = "{}",
        createdAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.actorType = actorType
        self.actorId = actorId
        self.action = action
        self.targetType = targetType
        self.targetId = targetId
        self.ip = ip
        self.requestId = requestId
        self.details = details
        self.createdAt = createdAt
    }

    package enum CodingKeys: String, CodingKey {
        case id
        case organizationId = "organization_id"
        case actorType = "actor_type"
        case actorId = "actor_id"
        case action
        case targetType = "target_type"
        case targetId = "target_id"
        case ip
        case requestId = "request_id"
        case details
        case createdAt = "created_at"
    }
}
