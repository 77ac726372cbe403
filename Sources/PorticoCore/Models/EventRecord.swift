/// A row of `events`: something that happened in one tenant, kept for
/// `retention.events_days` and fanned out to subscribed webhook endpoints.
package struct EventRecord: Codable, Sendable, Equatable {
    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var type: String
    /// The event's `data` as a JSON object, stored as sent out.
    package var data: String
    package var requestId: String?
    package var createdAt: Int64

    package init(id: String, scope: TenantScope, type: String, data: String, requestId: String?, createdAt: Int64) {
        self.id = id
        self.organizationId = scope.organizationId
        self.livemode = scope.livemode
        self.type = type
        self.data = data
        self.requestId = requestId
        self.createdAt = createdAt
    }

    package var scope: TenantScope { TenantScope(organizationId: organizationId, livemode: livemode) }

    /// Every stored property, as read back from storage.
    package init(
        id: String,
        organizationId: String,
        livemode: Bool,
        type: String,
        data: String,
        requestId: String?,
        createdAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.livemode = livemode
        self.type = type
        self.data = data
        self.requestId = requestId
        self.createdAt = createdAt
    }
}
