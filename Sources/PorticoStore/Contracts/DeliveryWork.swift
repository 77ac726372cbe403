import PorticoCore

/// What one attempt needs: the delivery, its endpoint and its event.
package struct DeliveryJob: Sendable {
    package var delivery: WebhookDeliveryRecord
    package var endpoint: WebhookEndpointRecord
    package var event: EventRecord

    package init(delivery: WebhookDeliveryRecord, endpoint: WebhookEndpointRecord, event: EventRecord) {
        self.delivery = delivery
        self.endpoint = endpoint
        self.event = event
    }
}

/// One finished attempt and what it does to its delivery and endpoint.
package struct AttemptOutcome: Sendable {
    package var attempt: WebhookAttemptRecord
    package var apply: @Sendable (inout WebhookDeliveryRecord, inout WebhookEndpointRecord) -> [EventRecord]

    package init(
        attempt: WebhookAttemptRecord,
        apply: @escaping @Sendable (inout WebhookDeliveryRecord, inout WebhookEndpointRecord) -> [EventRecord]
    ) {
        self.attempt = attempt
        self.apply = apply
    }
}

/// The attempts to start now and when the next delivery falls due.
package struct DueWork: Sendable {
    package var jobs: [DeliveryJob]
    /// Claimed, but no longer owed an attempt by the time their jobs were read: release them.
    package var claimedButGone: [(id: String, endpointId: String)]
    package var nextDueAt: Int64?

    package init(jobs: [DeliveryJob], claimedButGone: [(id: String, endpointId: String)], nextDueAt: Int64?) {
        self.jobs = jobs
        self.claimedButGone = claimedButGone
        self.nextDueAt = nextDueAt
    }
}
