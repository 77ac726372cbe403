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
    let plans: [String: Plan]
    /// The request-log partition width, to find a request's row.
    let partitionWidth: Int64

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

    /// Suspends (every key answers 403 `organization_suspended`, deliveries wait, the dashboard
    /// is read-only) or reactivates (waiting deliveries go out); nil for an unknown id.
    package func setSuspended(_ id: String, _ suspended: Bool, by actor: AuditActor) async throws -> OrganizationRecord? {
        let now = clock.nowMilliseconds
        let updated = try await modify(id, suspended ? "organization.suspended" : "organization.reactivated", by: actor, at: now) {
            $0.suspendedAt = suspended ? now : nil
        }
        if updated != nil, !suspended { store.deliveriesQueued.fire() }
        return updated
    }

    /// Moves the organization to another configured plan; nil for an unknown id.
    package func changePlan(_ id: String, to plan: String, by actor: AuditActor) async throws -> OrganizationRecord? {
        guard plans[plan] != nil else {
            throw BillingError(description: "no plan named '\(plan)'; configured plans: \(plans.keys.sorted().joined(separator: ", "))")
        }
        return try await modify(id, "organization.plan_changed", details: ["plan": plan], by: actor, at: clock.nowMilliseconds) {
            $0.plan = plan
        }
    }

    /// Sets (or, empty, clears) the organization's own live limits; nil for an unknown id.
    package func setLimits(_ id: String, _ overrides: LimitOverrides, by actor: AuditActor) async throws -> OrganizationRecord? {
        guard overrides.isValid else {
            throw BillingError(
                description: "each limit must be a whole number from 1 to \(LimitOverrides.range.upperBound.formatted()), or empty for the plan's"
            )
        }
        let stored = overrides.stored
        return try await modify(id, "organization.limits_changed", details: ["limits": stored ?? "plan"], by: actor, at: clock.nowMilliseconds) {
            $0.customLimits = stored
        }
    }

    /// Deletes the organization and all its data; the audit row (kept, with no organization) names it.
    package func delete(_ id: String, by actor: AuditActor) async throws -> Bool {
        guard let organization = try await store.organization(id: id) else { return false }
        let audit = actor.entry(
            "organization.deleted",
            organizationID: nil,
            targetType: "organization",
            targetID: id,
            details: ["name": organization.name, "plan": organization.plan],
            at: clock.nowMilliseconds
        )
        let deleted = try await store.deleteOrganization(id: id, audit: audit)
        authenticator.invalidate()
        return deleted
    }

    /// One audited change; this process's key cache is dropped at once, other processes see `updated_at` move.
    private func modify(
        _ id: String,
        _ action: String,
        details: [String: String] = [:],
        by actor: AuditActor,
        at now: Int64,
        _ change: @escaping @Sendable (inout OrganizationRecord) -> Void
    ) async throws -> OrganizationRecord? {
        let audit = actor.entry(action, organizationID: id, targetType: "organization", targetID: id, details: details, at: now)
        let updated = try await store.modifyOrganization(id: id, at: now, audit: audit, change)
        authenticator.invalidate()
        return updated
    }

    // MARK: Reads

    /// What the console's organization page shows: members, keys (metadata only), both
    /// modes' invoices and endpoints; nil for an unknown id.
    package func detail(_ id: String) async throws -> OrganizationDetail? {
        guard let organization = try await store.organization(id: id) else { return nil }
        let modes = [TenantScope(organizationId: id, livemode: true), TenantScope(organizationId: id, livemode: false)]
        var invoices: [InvoiceRecord] = []
        var endpoints: [WebhookEndpointRecord] = []
        for scope in modes {
            invoices += try await store.invoices(scope: scope, page: PageRequest(limit: 12)).items
            endpoints += try await store.endpoints(scope: scope, page: PageRequest(limit: 100)).items
        }
        let now = clock.nowMilliseconds
        let since = CivilTime.dayStart(now) - 29 * 86_400_000
        return OrganizationDetail(
            organization: organization,
            members: try await store.members(organizationId: id),
            keys: try await store.apiKeys(organizationId: id, livemode: nil),
            invoices: invoices.sorted { ($0.periodStart, $0.livemode ? 1 : 0) > ($1.periodStart, $1.livemode ? 1 : 0) },
            endpoints: endpoints,
            usage: try await store.usage(scope: modes[0], from: since, until: now + 1, metric: UsageMetric.requests, keyId: nil),
            usageSince: since,
            recentAudit: try await store.auditEntries(organizationId: id, page: PageRequest(limit: 20)).items
        )
    }

    /// Everything one request left behind, across organizations (staff).
    package func timeline(_ requestId: String) async throws -> RequestTimeline {
        try await store.requestTimeline(requestId: requestId, scope: nil, width: partitionWidth)
    }

    /// Where the console's search box sends a query: an id's page, or the organization list for anything else.
    package func locate(_ query: String) async throws -> String? {
        let query = query.trimmingCharacters(in: .whitespaces)
        if query.hasPrefix("req_") { return "/admin/requests/\(query)" }
        if query.contains("@") {
            guard let user = try await store.user(email: query) else { return nil }
            return try await store.organizations(ofUser: user.id).first.map { "/admin/organizations/\($0.organization.id)" }
        }
        guard let found = try await store.locate(id: query) else { return nil }
        if let request = found.requestId { return "/admin/requests/\(request)" }
        return found.organizationId.map { "/admin/organizations/\($0)" }
    }

    /// Writes the audit row of a staff member looking at one organization's data, on the
    /// organization (its members see it) or, when it is gone, with its id in the details.
    package func recordView(of organizationId: String, what: String, target: (type: String, id: String), by actor: AuditActor) async throws {
        let exists = try await store.organization(id: organizationId) != nil
        let entry = actor.entry(
            "staff.viewed",
            organizationID: exists ? organizationId : nil,
            targetType: target.type,
            targetID: target.id,
            details: ["page": what, "organization": organizationId],
            at: clock.nowMilliseconds
        )
        try await store.insertAudit(entry)
    }
}

/// The console's view of one organization.
package struct OrganizationDetail: Sendable {
    package var organization: OrganizationRecord
    package var members: [Member]
    package var keys: [APIKeyRecord]
    package var invoices: [InvoiceRecord]
    package var endpoints: [WebhookEndpointRecord]
    /// Live requests by hour since `usageSince` (30 days).
    package var usage: [UsageRow]
    package var usageSince: Int64
    package var recentAudit: [AuditEntryRecord]
}
