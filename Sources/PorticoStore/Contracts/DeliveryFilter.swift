import PorticoCore

/// Filters of `GET /v1/webhook-deliveries`.
package struct DeliveryFilter: Sendable {
    package var endpointId: String?
    package var eventId: String?
    package var status: WebhookDeliveryRecord.Status?

    package init(endpointId: String? = nil, eventId: String? = nil, status: WebhookDeliveryRecord.Status? = nil) {
        self.endpointId = endpointId
        self.eventId = eventId
        self.status = status
    }
}
