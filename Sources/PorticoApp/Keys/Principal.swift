import PorticoStore

/// An authenticated API key as every request sees it; built from the stored
/// row once and cached, so the hot path never re-reads SQLite.
struct Principal: Sendable, Equatable {
    var keyID: String
    var organizationID: String
    var livemode: Bool
    var kind: APIKeyKind
    var scopes: ScopeSet
    var allowedNetworks: [CIDR]
    var expiresAt: Int64?
    var revokedAt: Int64?
    /// The organization's plan identifier (`organizations.plan`).
    var plan: String
    /// Whether the organization keeps request and response bodies in its request logs.
    var bodyCapture: Bool

    init(record: APIKeyRecord, organization: OrganizationRecord) {
        plan = organization.plan
        bodyCapture = organization.bodyCapture
        keyID = record.id
        organizationID = record.organizationId
        livemode = record.livemode
        kind = APIKeyKind(rawValue: record.kind) ?? .restricted
        scopes = ScopeSet(stored: record.scopes)
        allowedNetworks = record.allowedCidrs.split(separator: " ").compactMap { CIDR($0) }
        expiresAt = record.expiresAt
        revokedAt = record.revokedAt
    }

    var tenant: TenantScope { TenantScope(organizationId: organizationID, livemode: livemode) }

    func isUsable(atMilliseconds now: Int64) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }

    func allows(_ address: IPAddress?) -> Bool {
        guard !allowedNetworks.isEmpty else { return true }
        guard let address else { return false }
        return allowedNetworks.contains { $0.contains(address) }
    }
}
