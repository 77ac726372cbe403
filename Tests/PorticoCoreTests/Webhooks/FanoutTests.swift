import Testing

@testable import PorticoCore

/// Who an event is owed to, and what giving up an endpoint means.
struct FanoutTests {
    let scope = TenantScope(organizationId: "org_1", livemode: false)

    func endpoint(_ id: String, events: String, scope: TenantScope? = nil, enabled: Bool = true) -> WebhookEndpointRecord {
        var endpoint = WebhookEndpointRecord(
            id: id,
            scope: scope ?? self.scope,
            url: "https://example.com/\(id)",
            description: nil,
            enabledEvents: events,
            metadata: "{}",
            secret: "whsec_x",
            createdAt: 0
        )
        if !enabled { endpoint.status = .disabled }
        return endpoint
    }

    @Test func anEventGoesToTheEnabledSubscribedEndpointsOfItsTenantOnly() {
        let event = EventRecord(id: "evt_1", scope: scope, type: "order.shipped", data: "{}", requestId: nil, createdAt: 5_000)
        let endpoints = [
            endpoint("exact", events: #"["order.shipped"]"#),
            endpoint("prefix", events: #"["order.*"]"#),
            endpoint("everything", events: #"["*"]"#),
            endpoint("other-type", events: #"["customer.*"]"#),
            endpoint("disabled", events: #"["*"]"#, enabled: false),
            endpoint("live-mode", events: #"["*"]"#, scope: TenantScope(organizationId: "org_1", livemode: true)),
            endpoint("other-org", events: #"["*"]"#, scope: TenantScope(organizationId: "org_2", livemode: false)),
        ]
        let recipients = Fanout.recipients(of: event, among: endpoints)
        #expect(recipients.map(\.id) == ["exact", "prefix", "everything"])

        let deliveries = Fanout.deliveries(of: event, to: recipients)
        #expect(deliveries.map(\.endpointId) == ["exact", "prefix", "everything"])
        #expect(deliveries.allSatisfy { $0.status == .pending && $0.nextAttemptAt == 5_000 && $0.eventId == "evt_1" && $0.attemptCount == 0 })
        #expect(Set(deliveries.map(\.id)).count == 3)
        #expect(deliveries.allSatisfy { $0.id.hasPrefix("whd_") })
    }

    @Test func onlyDisablingAnEndpointAbandonsWhatItOwes() {
        let enabled = endpoint("e", events: #"["*"]"#)
        var disabled = enabled
        disabled.status = .disabled
        var renamed = enabled
        renamed.url = "https://example.com/moved"
        #expect(disabled.abandonsOwedDeliveries(since: enabled))
        #expect(!renamed.abandonsOwedDeliveries(since: enabled))
        #expect(!enabled.abandonsOwedDeliveries(since: disabled))
        #expect(!disabled.abandonsOwedDeliveries(since: disabled))
    }
}
