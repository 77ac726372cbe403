import PorticoCore
import PorticoStore

extension DeliveryBookkeeping.Announcement {
    /// The Portico event that tells the tenant about it, made at `now`.
    func event(at now: Int64) -> EventRecord? {
        switch self {
        case .deliveryExhausted(let delivery, let eventType):
            Events.make(
                self.eventType,
                about: WebhookDeliveryResource(DeliveryView(delivery: delivery, eventType: eventType)),
                scope: TenantScope(organizationId: delivery.organizationId, livemode: delivery.livemode),
                requestID: nil,
                at: now
            )
        case .endpointDisabled(let endpoint):
            Events.make(self.eventType, about: WebhookEndpointResource(endpoint), scope: endpoint.scope, requestID: nil, at: now)
        }
    }
}
