import PorticoCore
import PorticoStore

/// What one attempt's result does to its delivery and endpoint: a pure
/// function (besides the events it builds), run inside the transaction that
/// records the attempt.
///
/// - 2xx: the delivery succeeded; the endpoint's failing streak ends.
/// - a failure with attempts left: `failed`, due again after the policy's delay.
/// - the last scheduled attempt failed: `dead`, and a `webhook_delivery.exhausted` event.
/// - 410 Gone: `dead`, and the endpoint is disabled (`gone`).
/// - any failure while the endpoint has failed without a success for
///   `autoDisableAfter`: the endpoint is disabled (`failing`).
/// Disabling an endpoint emits `webhook_endpoint.disabled`.
struct DeliveryBookkeeping: Sendable {
    var autoDisableAfterMilliseconds: Int64
    /// The attempt whose failure exhausts the schedule (a later, manual attempt that fails does not announce it again).
    var maxAttempts: Int

    struct Result: Sendable {
        var decision: RetryPolicy.Decision
        var attemptedAt: Int64
        var statusCode: Int?
    }

    func apply(_ result: Result, eventType: String, to delivery: inout WebhookDeliveryRecord, endpoint: inout WebhookEndpointRecord) -> [EventRecord]
    {
        let now = result.attemptedAt
        var events: [EventRecord] = []
        delivery.attemptCount += 1
        delivery.lastAttemptAt = now
        delivery.lastStatusCode = result.statusCode
        delivery.updatedAt = now
        delivery.nextAttemptAt = nil

        var decision = result.decision
        // Disabled while the attempt was in flight: nothing more is owed.
        if endpoint.status == .disabled, case .retry = decision { decision = .dead }

        switch decision {
        case .succeeded:
            delivery.status = .succeeded
            endpoint.failingSince = nil
        case .retry(let delay):
            delivery.status = .failed
            delivery.nextAttemptAt = now + delay
        case .dead:
            delivery.status = .dead
            // Announced once, when the schedule runs out; an exhausted-notice that itself
            // exhausts does not announce itself again (no loop).
            if delivery.attemptCount == maxAttempts, eventType != "webhook_delivery.exhausted", endpoint.status == .enabled,
                let event = try? Events.make(
                    "webhook_delivery.exhausted",
                    about: WebhookDeliveryResource(DeliveryView(delivery: delivery, eventType: eventType)),
                    scope: endpoint.scope,
                    requestID: nil,
                    at: now
                )
            {
                events.append(event)
            }
        case .disableEndpoint:
            delivery.status = .dead
            if endpoint.status == .enabled { events += disable(&endpoint, reason: "gone", at: now) }
        }
        if delivery.status != .succeeded {
            endpoint.failingSince = endpoint.failingSince ?? now
            if endpoint.status == .enabled, let since = endpoint.failingSince, now - since >= autoDisableAfterMilliseconds {
                events += disable(&endpoint, reason: "failing", at: now)
            }
        }
        return events
    }

    private func disable(_ endpoint: inout WebhookEndpointRecord, reason: String, at now: Int64) -> [EventRecord] {
        endpoint.status = .disabled
        endpoint.disabledReason = reason
        endpoint.updatedAt = max(now, endpoint.createdAt)
        guard
            let event = try? Events.make(
                "webhook_endpoint.disabled",
                about: WebhookEndpointResource(endpoint),
                scope: endpoint.scope,
                requestID: nil,
                at: now
            )
        else { return [] }
        return [event]
    }
}
