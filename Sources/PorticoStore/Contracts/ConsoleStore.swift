import Foundation
import PorticoCore

/// One organization as the operator console lists it: its row and the
/// figures support looks at first, all from the statistics tables (never
/// the request-log partitions).
package struct OrganizationSummary: Sendable, Equatable {
    package var organization: OrganizationRecord
    /// Live requests since the start of the month.
    package var requestsThisMonth: Int64
    /// Requests (both modes) in the last 24 hours, and those answered 5xx.
    package var requests24h: Int64
    package var serverErrors24h: Int64
    /// Webhook delivery attempts (both modes) in the last 24 hours, and those that failed.
    package var webhookAttempts24h: Int64
    package var webhookFailures24h: Int64
    /// The start of the latest hour with any request.
    package var lastActivityHour: Int64?

    package init(
        organization: OrganizationRecord,
        requestsThisMonth: Int64,
        requests24h: Int64,
        serverErrors24h: Int64,
        webhookAttempts24h: Int64,
        webhookFailures24h: Int64,
        lastActivityHour: Int64? = nil
    ) {
        self.organization = organization
        self.requestsThisMonth = requestsThisMonth
        self.requests24h = requests24h
        self.serverErrors24h = serverErrors24h
        self.webhookAttempts24h = webhookAttempts24h
        self.webhookFailures24h = webhookFailures24h
        self.lastActivityHour = lastActivityHour
    }

    package var errorRate24h: Double? { requests24h == 0 ? nil : Double(serverErrors24h) / Double(requests24h) }
    package var webhookFailureRate24h: Double? { webhookAttempts24h == 0 ? nil : Double(webhookFailures24h) / Double(webhookAttempts24h) }
}

/// How the console's organization table is ordered.
package enum OrganizationOrder: String, Sendable, CaseIterable {
    case name, newest, requests, errors
}

/// Platform-wide request counts of one route ("GET /v1/customers/{id}") by status class and latency bucket.
package struct RouteStatCount: Sendable, Equatable {
    package var route: String
    package var statusClass: Int
    package var latencyBucket: Int
    package var count: Int64

    package init(route: String, statusClass: Int, latencyBucket: Int, count: Int64) {
        self.route = route
        self.statusClass = statusClass
        self.latencyBucket = latencyBucket
        self.count = count
    }
}

/// An organization's traffic over a window, for the console's top lists.
package struct OrganizationTraffic: Sendable, Equatable {
    package var organizationId: String
    package var name: String
    package var requests: Int64
    package var serverErrors: Int64

    package init(organizationId: String, name: String, requests: Int64, serverErrors: Int64) {
        self.organizationId = organizationId
        self.name = name
        self.requests = requests
        self.serverErrors = serverErrors
    }
}

/// Live invoice totals of one month and plan (the console's revenue table).
package struct RevenueLine: Sendable, Equatable {
    package var periodStart: Int64
    package var plan: String
    package var currency: String
    package var invoices: Int
    package var base: Int64
    package var overage: Int64
    package var total: Int64

    package init(periodStart: Int64, plan: String, currency: String, invoices: Int, base: Int64, overage: Int64, total: Int64) {
        self.periodStart = periodStart
        self.plan = plan
        self.currency = currency
        self.invoices = invoices
        self.base = base
        self.overage = overage
        self.total = total
    }
}

/// Everything one request left behind: its log row, the events it emitted,
/// every delivery of those events with every attempt, and its audit rows.
package struct RequestTimeline: Sendable {
    package var log: RequestLogEntry?
    package var events: [EventRecord]
    package var deliveries: [(delivery: DeliveryView, attempts: [WebhookAttemptRecord])]
    package var audit: [AuditEntryRecord]

    package init(
        log: RequestLogEntry? = nil,
        events: [EventRecord],
        deliveries: [(delivery: DeliveryView, attempts: [WebhookAttemptRecord])],
        audit: [AuditEntryRecord]
    ) {
        self.log = log
        self.events = events
        self.deliveries = deliveries
        self.audit = audit
    }

    package var isEmpty: Bool { log == nil && events.isEmpty && audit.isEmpty }
    /// The organization the request belonged to, from whichever part names it.
    package var organizationId: String? { log?.organizationId ?? events.first?.organizationId ?? audit.first?.organizationId }
}

/// Where an id found by the console's search leads.
package struct LocatedID: Sendable, Equatable {
    /// The organization that owns it (nil for a request that did not authenticate).
    package var organizationId: String?
    /// The request it belongs to, when there is one to show as a timeline.
    package var requestId: String?

    package init(organizationId: String? = nil, requestId: String? = nil) {
        self.organizationId = organizationId
        self.requestId = requestId
    }
}

/// The operator console's reads across organizations, and its audit rows for what staff looked at.
package protocol ConsoleStore: Sendable {
    /// A page of organizations matching `search` (part of a name, an `org_` id, or a member's
    /// email), in `order`, with the total that match. `monthStart` and `dayAgo` bound the figures.
    func organizationSummaries(
        search: String?,
        order: OrganizationOrder,
        limit: Int,
        offset: Int,
        monthStart: Int64,
        dayAgo: Int64
    ) async throws -> (rows: [OrganizationSummary], total: Int)

    /// Platform-wide route statistics over the hours in `[from, until)`.
    func routeStats(from: Int64, until: Int64) async throws -> [RouteStatCount]
    /// The organizations with the most live requests in the month starting at `monthStart` (`organization_month_stats`).
    func busiestOrganizations(monthStart: Int64, limit: Int) async throws -> [OrganizationTraffic]
    /// The organizations with the most 5xx answers over the hours in `[from, until)` (the 5xx rows' partial index).
    func erroringOrganizations(from: Int64, until: Int64, limit: Int) async throws -> [OrganizationTraffic]
    /// Endpoints failing now, longest first.
    func failingEndpoints(limit: Int) async throws -> [WebhookEndpointRecord]
    /// Live invoices summed by month and plan, newest month first, for periods starting at or after `since`.
    func revenue(since: Int64) async throws -> [RevenueLine]

    /// The request's timeline; `scope` limits it to one tenant's (a dashboard member's), nil is everything (staff).
    func requestTimeline(requestId: String, scope: TenantScope?, width: Int64) async throws -> RequestTimeline
    /// The organization (and request) an id of any kind belongs to; nil when nothing has that id.
    func locate(id: String) async throws -> LocatedID?

    /// Writes one audit row on its own (what staff looked at).
    func insertAudit(_ entry: AuditEntryRecord) async throws
    /// What staff did and looked at, newest first; `staffId` narrows it to one of them.
    func staffAuditEntries(staffId: String?, page: PageRequest) async throws -> Page<AuditEntryRecord>
}
