import Foundation
import PorticoCore
import PorticoStore

/// What the team that runs Portico does to organizations, for the console
/// and the CLI (`portico org list|show|suspend|reactivate`): each change is
/// audited on the organization, so its own audit log shows it too.
public struct OrganizationAdministration: Sendable {
    let store: any PorticoStorage
    let clock: any PorticoClock
    let authenticator: KeyAuthenticator

    /// One page of the organization table.
    package func list(
        search: String?,
        order: OrganizationOrder = .name,
        limit: Int = 50,
        offset: Int = 0
    ) async throws -> (
        rows: [OrganizationSummary], total: Int
    ) {
        let now = clock.nowMilliseconds
        return try await store.organizationSummaries(
            search: search,
            order: order,
            limit: limit,
            offset: offset,
            monthStart: CivilTime.month(containing: now).start,
            dayAgo: now - 86_400_000
        )
    }

    /// An organization with its members and keys (metadata only: a key's secret is never kept).
    package func show(_ id: String) async throws -> (OrganizationRecord, [Member], [APIKeyRecord])? {
        guard let organization = try await store.organization(id: id) else { return nil }
        return (organization, try await store.members(organizationId: id), try await store.apiKeys(organizationId: id))
    }

    /// Suspends (every key answers 403 `organization_suspended`) or reactivates; nil for an unknown id.
    package func setSuspended(_ id: String, _ suspended: Bool, by actor: AuditActor) async throws -> OrganizationRecord? {
        let now = clock.nowMilliseconds
        let audit = actor.entry(
            suspended ? "organization.suspended" : "organization.reactivated",
            organizationID: id,
            targetType: "organization",
            targetID: id,
            at: now
        )
        let updated = try await store.setSuspended(organizationId: id, suspendedAt: suspended ? now : nil, at: now, audit: audit)
        // This process's key cache now; other processes see the organization's updated_at move.
        authenticator.invalidate()
        return updated
    }
}
