import Testing

@testable import PorticoCore

/// The pure part of recording an attempt: what it does to the delivery and endpoint.
struct DeliveryBookkeepingTests {
    let scope = TenantScope(organizationId: "org_1", livemode: false)
    let rules = DeliveryBookkeeping(autoDisableAfterMilliseconds: 3_600_000, maxAttempts: 8)

    func fixtures(attempts: Int = 0, failingSince: Int64? = nil) -> (WebhookDeliveryRecord, WebhookEndpointRecord) {
        var endpoint = WebhookEndpointRecord(
            id: "we_1",
            scope: scope,
            url: "https://example.com/h",
            description: nil,
            enabledEvents: #"["*"]"#,
            metadata: "{}",
            secret: "whsec_x",
            createdAt: 0
        )
        endpoint.failingSince = failingSince
        var delivery = WebhookDeliveryRecord(id: "whd_1", endpoint: endpoint, eventId: "evt_1", at: 0)
        delivery.attemptCount = attempts
        return (delivery, endpoint)
    }

    @Test func successEndsTheFailingStreak() {
        var (delivery, endpoint) = fixtures(attempts: 2, failingSince: 1_000)
        let events = rules.apply(
            .init(decision: .succeeded, attemptedAt: 5_000, statusCode: 204),
            eventType: "order.created",
            to: &delivery,
            endpoint: &endpoint
        )
        #expect(events.isEmpty)
        #expect(delivery.status == .succeeded && delivery.attemptCount == 3 && delivery.nextAttemptAt == nil && delivery.lastStatusCode == 204)
        #expect(endpoint.failingSince == nil)
    }

    @Test func failureSchedulesTheRetryAndStartsTheStreak() {
        var (delivery, endpoint) = fixtures()
        let events = rules.apply(
            .init(decision: .retry(afterMilliseconds: 5_000), attemptedAt: 10_000, statusCode: 500),
            eventType: "order.created",
            to: &delivery,
            endpoint: &endpoint
        )
        #expect(events.isEmpty)
        #expect(delivery.status == .failed && delivery.nextAttemptAt == 15_000)
        #expect(endpoint.failingSince == 10_000 && endpoint.status == .enabled)
    }

    @Test func lastScheduledFailureIsDeadAndAnnouncedOnce() {
        var (delivery, endpoint) = fixtures(attempts: 7, failingSince: 9_000)
        let events = rules.apply(
            .init(decision: .dead, attemptedAt: 10_000, statusCode: nil),
            eventType: "order.created",
            to: &delivery,
            endpoint: &endpoint
        )
        #expect(delivery.status == .dead && delivery.nextAttemptAt == nil)
        #expect(events.map(\.eventType) == ["webhook_delivery.exhausted"])
        // A later manual attempt that fails again does not announce it a second time…
        let again = rules.apply(
            .init(decision: .dead, attemptedAt: 20_000, statusCode: nil),
            eventType: "order.created",
            to: &delivery,
            endpoint: &endpoint
        )
        #expect(again.isEmpty)
        // …and an exhausted-notice never announces its own exhaustion.
        var (notice, noticeEndpoint) = fixtures(attempts: 7, failingSince: 9_000)
        #expect(
            rules.apply(
                .init(decision: .dead, attemptedAt: 10_000, statusCode: nil),
                eventType: "webhook_delivery.exhausted",
                to: &notice,
                endpoint: &noticeEndpoint
            ).isEmpty
        )
    }

    @Test func goneDisablesTheEndpoint() {
        var (delivery, endpoint) = fixtures()
        let events = rules.apply(
            .init(decision: .disableEndpoint, attemptedAt: 10_000, statusCode: 410),
            eventType: "order.created",
            to: &delivery,
            endpoint: &endpoint
        )
        #expect(delivery.status == .dead)
        #expect(endpoint.status == .disabled && endpoint.disabledReason == "gone")
        #expect(events.map(\.eventType) == ["webhook_endpoint.disabled"])
    }

    @Test func failingPastTheLimitDisablesOnceAndStopsRetrying() {
        var (delivery, endpoint) = fixtures(attempts: 3, failingSince: 0)
        let events = rules.apply(
            .init(decision: .retry(afterMilliseconds: 5_000), attemptedAt: 3_600_000, statusCode: 503),
            eventType: "order.created",
            to: &delivery,
            endpoint: &endpoint
        )
        #expect(endpoint.status == .disabled && endpoint.disabledReason == "failing")
        #expect(events.map(\.eventType) == ["webhook_endpoint.disabled"])
        // Just under the limit it stays enabled.
        var (other, otherEndpoint) = fixtures(attempts: 3, failingSince: 1)
        _ = rules.apply(
            .init(decision: .retry(afterMilliseconds: 5_000), attemptedAt: 3_600_000, statusCode: 503),
            eventType: "order.created",
            to: &other,
            endpoint: &otherEndpoint
        )
        #expect(otherEndpoint.status == .enabled && other.status == .failed)
        // An attempt that finishes after its endpoint was disabled is not retried.
        var (late, disabled) = fixtures()
        disabled.status = .disabled
        _ = rules.apply(
            .init(decision: .retry(afterMilliseconds: 5_000), attemptedAt: 10, statusCode: 500),
            eventType: "order.created",
            to: &late,
            endpoint: &disabled
        )
        #expect(late.status == .dead && late.nextAttemptAt == nil)
    }
}
