/// What one attempt's result does to its delivery and endpoint: a pure
/// function, run inside the transaction that records the attempt; the
/// engine saves what it changed and publishes the events the app makes of
/// its announcements.
///
/// - 2xx: the delivery succeeded; the endpoint's failing streak ends.
/// - a failure with attempts left: `failed`, due again after the policy's delay.
/// - the last scheduled attempt failed: `dead`, and a `webhook_delivery.exhausted` event.
/// - 410 Gone: `dead`, and the endpoint is disabled (`gone`).
/// - any failure while the endpoint has failed without a success for
///   `autoDisableAfter`: the endpoint is disabled (`failing`).
/// Disabling an endpoint announces `webhook_endpoint.disabled`.
package struct DeliveryBookkeeping: Sendable {
    package var autoDisableAfterMilliseconds: Int64
    /// The attempt whose failure exhausts the schedule (a later, manual attempt that fails does not announce it again).
    package var maxAttempts: Int

    package init(autoDisableAfterMilliseconds: Int64, maxAttempts: Int) {
        self.autoDisableAfterMilliseconds = autoDisableAfterMilliseconds
        self.maxAttempts = maxAttempts
    }

    package struct Result: Sendable {
        package var decision: RetryPolicy.Decision
        package var attemptedAt: Int64
        package var statusCode: Int?

        package init(decision: RetryPolicy.Decision, attemptedAt: Int64, statusCode: Int?) {
            self.decision = decision
            self.attemptedAt = attemptedAt
            self.statusCode = statusCode
        }
    }

    /// What an attempt's bookkeeping tells the tenant about, as a Portico event.
    package enum Announcement: Equatable, Sendable {
        /// The delivery (of an event of `eventType`) ran out of scheduled attempts.
        case deliveryExhausted(WebhookDeliveryRecord, eventType: String)
        /// The endpoint was disabled (`gone` or `failing`).
        case endpointDisabled(WebhookEndpointRecord)

        /// The type of the event announcing it.
        package var eventType: String {
            switch self {
            case .deliveryExhausted: "webhook_delivery.exhausted"
            case .endpointDisabled: "webhook_endpoint.disabled"
            }
        }
    }

    package func apply(
        _ result: Result,
        eventType: String,
        to delivery: inout WebhookDeliveryRecord,
        endpoint: inout WebhookEndpointRecord
    ) -> [Announcement] {
        let now = result.attemptedAt
        var events: [Announcement] = []
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
            if delivery.attemptCount == maxAttempts, eventType != "webhook_delivery.exhausted", endpoint.status == .enabled {
                events.append(.deliveryExhausted(delivery, eventType: eventType))
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

    private func disable(_ endpoint: inout WebhookEndpointRecord, reason: String, at now: Int64) -> [Announcement] {
        endpoint.status = .disabled
        endpoint.disabledReason = reason
        endpoint.updatedAt = max(now, endpoint.createdAt)
        return [.endpointDisabled(endpoint)]
    }
}
