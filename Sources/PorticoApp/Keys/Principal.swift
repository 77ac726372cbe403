import PorticoCore
import PorticoStore

/// An authenticated API key as every request sees it; built from the stored
/// row once and cached, so the hot path never re-reads SQLite.
///
/// Immutable and a class: the request context is copied at every middleware
/// layer, and one reference is cheaper to copy than a dozen fields.
final class Principal: Sendable, Equatable {
    let keyID: String
    let organizationID: String
    let livemode: Bool
    let tenant: TenantScope
    let kind: APIKeyKind
    let scopes: ScopeSet
    let allowedNetworks: [CIDR]
    let expiresAt: Int64?
    let revokedAt: Int64?
    /// The organization's plan identifier (`organizations.plan`).
    let plan: String
    /// Whether the organization keeps request and response bodies in its request logs.
    let bodyCapture: Bool
    /// The organization's pinned API version; organizations from before versioning are on the first one.
    let apiVersion: String
    /// The key's and the organization's rate-limit subjects, hashed once here rather than on every request.
    let keyLimit: LimitKey
    let organizationLimit: LimitKey
    /// A platform key acting for `organizationID` (named in `Portico-Organization`):
    /// its calls are audited, not metered, and not counted against the organization's limits.
    let isPlatform: Bool
    /// Staff suspended the organization: its keys are refused (403 `organization_suspended`).
    let isSuspended: Bool
    /// Staff overrides of the plan's live limits (an enterprise contract); nil: the plan's own.
    let limitOverrides: LimitOverrides?

    init(record: APIKeyRecord, organization: OrganizationRecord) {
        isPlatform = false
        isSuspended = organization.isSuspended
        limitOverrides = organization.limitOverrides
        plan = organization.plan
        bodyCapture = organization.bodyCapture
        apiVersion = organization.apiVersion ?? APIVersions.first.id
        keyID = record.id
        organizationID = record.organizationId
        livemode = record.livemode
        kind = APIKeyKind(rawValue: record.kind) ?? .restricted
        scopes = ScopeSet(stored: record.scopes)
        allowedNetworks = record.allowedCidrs.split(separator: " ").compactMap { CIDR($0) }
        expiresAt = record.expiresAt
        revokedAt = record.revokedAt
        tenant = TenantScope(organizationId: organizationID, livemode: livemode)
        keyLimit = LimitKey(.key(keyID))
        organizationLimit = LimitKey(.organization(organizationID, livemode: livemode))
    }

    /// A platform key acting for `organization`.
    init(platform key: PlatformKeyRecord, organization: OrganizationRecord) {
        isPlatform = true
        isSuspended = organization.isSuspended
        limitOverrides = organization.limitOverrides
        plan = organization.plan
        bodyCapture = organization.bodyCapture
        apiVersion = organization.apiVersion ?? APIVersions.first.id
        keyID = key.id
        organizationID = organization.id
        livemode = key.livemode
        kind = .secret
        scopes = ScopeSet(stored: ScopeCatalogue.platform.map(\.name).joined(separator: " "))
        allowedNetworks = []
        expiresAt = nil
        revokedAt = key.revokedAt
        tenant = TenantScope(organizationId: organization.id, livemode: key.livemode)
        keyLimit = LimitKey(.key(key.id))
        organizationLimit = LimitKey(.organization(organization.id, livemode: key.livemode))
    }

    static func == (lhs: Principal, rhs: Principal) -> Bool {
        lhs === rhs
            || (lhs.keyID == rhs.keyID && lhs.organizationID == rhs.organizationID && lhs.livemode == rhs.livemode
                && lhs.kind == rhs.kind && lhs.scopes == rhs.scopes && lhs.allowedNetworks == rhs.allowedNetworks
                && lhs.expiresAt == rhs.expiresAt && lhs.revokedAt == rhs.revokedAt && lhs.plan == rhs.plan
                && lhs.bodyCapture == rhs.bodyCapture && lhs.apiVersion == rhs.apiVersion && lhs.isPlatform == rhs.isPlatform
                && lhs.isSuspended == rhs.isSuspended && lhs.limitOverrides == rhs.limitOverrides)
    }

    func isUsable(atMilliseconds now: Int64) -> Bool {
        KeyState(revokedAt: revokedAt, expiresAt: expiresAt, now: now).isUsable
    }

    func allows(_ address: IPAddress?) -> Bool {
        guard !allowedNetworks.isEmpty else { return true }
        guard let address else { return false }
        return allowedNetworks.contains { $0.contains(address) }
    }
}
