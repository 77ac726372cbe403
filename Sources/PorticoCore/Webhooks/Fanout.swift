/// Which endpoints an event is owed to, and the deliveries that owe it: the
/// rule every storage engine applies when it publishes an event, in the same
/// transaction as the event itself.
package enum Fanout {
    /// The endpoints among `endpoints` that get `event`: its tenant's (same
    /// organization and mode), enabled, and subscribed to its type.
    package static func recipients(of event: EventRecord, among endpoints: [WebhookEndpointRecord]) -> [WebhookEndpointRecord] {
        endpoints.filter { $0.scope == event.scope && $0.status == .enabled && $0.patterns.matches(event.type) }
    }

    /// One pending delivery of `event` to each of `recipients`, due at once.
    package static func deliveries(of event: EventRecord, to recipients: [WebhookEndpointRecord]) -> [WebhookDeliveryRecord] {
        recipients.map {
            WebhookDeliveryRecord(id: Identifier.make("whd", at: event.createdAt), endpoint: $0, eventId: event.id, at: event.createdAt)
        }
    }
}

extension WebhookEndpointRecord {
    /// Whether changing from `before` to this gives up the deliveries the
    /// endpoint still owes (it was just disabled): every engine makes them `dead`
    /// in the transaction that saves the change.
    package func abandonsOwedDeliveries(since before: WebhookEndpointRecord) -> Bool {
        before.status == .enabled && status == .disabled
    }
}
