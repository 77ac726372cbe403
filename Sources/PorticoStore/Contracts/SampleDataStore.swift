import PorticoCore

/// A tenant's made-up past, written as it stands (`portico sandbox --seed-data`):
/// customers, webhook endpoints, events, and deliveries already in their final
/// state with the attempts that put them there. Nothing is queued by the
/// write: deliveries still owed an attempt fall due at their `nextAttemptAt`.
package struct SampleHistory: Sendable {
    package var customers: [CustomerRecord] = []
    package var endpoints: [WebhookEndpointRecord] = []
    package var events: [EventRecord] = []
    package var deliveries: [WebhookDeliveryRecord] = []
    package var attempts: [WebhookAttemptRecord] = []
    /// The organization made to look this old (`created_at`), so it is invoiced for the month before.
    package var organizationCreatedAt: (id: String, at: Int64)?

    package init() {}
}

package protocol SampleDataStore: Sendable {
    /// Writes `history` in one transaction, records verbatim.
    func insertSampleHistory(_ history: SampleHistory) async throws
}
