import PorticoCore

/// A delivery with the event type it carries (lists and retrieval show both).
package struct DeliveryView: Sendable {
    package var delivery: WebhookDeliveryRecord
    package var eventType: String

    package init(delivery: WebhookDeliveryRecord, eventType: String) {
        self.delivery = delivery
        self.eventType = eventType
    }
}
