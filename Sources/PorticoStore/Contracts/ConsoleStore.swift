import Foundation
import PorticoCore

/// One organization as the operator console lists it: its row and the
/// figures support looks at first, all from the hourly statistics tables
/// (never the request-log partitions).
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

    package var errorRate24h: Double? { requests24h == 0 ? nil : Double(serverErrors24h) / Double(requests24h) }
    package var webhookFailureRate24h: Double? { webhookAttempts24h == 0 ? nil : Double(webhookFailures24h) / Double(webhookAttempts24h) }
}

/// How the console's organization table is ordered.
package enum OrganizationOrder: String, Sendable, CaseIterable {
    case name, newest, requests, errors
}

/// The operator console's reads across organizations.
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
}
