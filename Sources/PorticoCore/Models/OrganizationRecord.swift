/// A row of `organizations`: the tenant every other row belongs to.
package struct OrganizationRecord: Codable, Sendable, Equatable {
    package var id: String
    package var name: String
    package var plan: String
    package var createdAt: Int64
    /// Whether request logs keep (redacted) bodies for this organization.
    package var bodyCapture: Bool
    package var updatedAt: Int64
    /// The pinned API version requests without a `Portico-Version` header get (nil: the oldest supported).
    package var apiVersion: String?
    /// When staff suspended it (nil: active): its keys answer 403, its dashboard is read-only, its deliveries wait.
    package var suspendedAt: Int64?
    /// Staff overrides of the plan's live limits, as JSON (`LimitOverrides`); nil: the plan's.
    package var customLimits: String?
    /// Every member must sign in with a second factor (owners and admins set it).
    package var requireTwoFactor: Bool
    /// The alert kinds not mailed (`NotificationSettings`), as JSON; nil: all mailed.
    package var notificationSettings: String?

    package var isSuspended: Bool { suspendedAt != nil }

    package init(id: String, name: String, plan: String = "free", createdAt: Int64, bodyCapture: Bool = false, apiVersion: String? = nil) {
        self.id = id
        self.name = name
        self.plan = plan
        self.createdAt = createdAt
        self.bodyCapture = bodyCapture
        self.updatedAt = createdAt
        self.apiVersion = apiVersion
        self.requireTwoFactor = false
    }

    package enum CodingKeys: String, CodingKey {
        case id, name, plan
        case createdAt = "created_at"
        case bodyCapture = "body_capture"
        case updatedAt = "updated_at"
        case apiVersion = "api_version"
        case suspendedAt = "suspended_at"
        case customLimits = "custom_limits"
        case requireTwoFactor = "require_two_factor"
        case notificationSettings = "notification_settings"
    }
}

extension OrganizationRecord {
    /// Staff overrides of the plan's live limits; nil: the plan's own.
    package var limitOverrides: LimitOverrides? { LimitOverrides(stored: customLimits) }
    package var notifications: NotificationSettings { NotificationSettings(stored: notificationSettings) }
}
