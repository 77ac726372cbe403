import Foundation
import PorticoCore
import PorticoStore

/// The public JSON shape of a webhook endpoint. `secret` appears only in the
/// answer to the create call; afterwards it is read with
/// `GET /v1/webhook-endpoints/{id}/secret`.
struct WebhookEndpointResource: JSONWritable, Sendable {
    var record: WebhookEndpointRecord
    /// The opened signing secret, only in the answer to the create call.
    var secret: String?

    init(_ record: WebhookEndpointRecord, secret: String? = nil) {
        self.record = record
        self.secret = secret
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at", time: record.createdAt)
            json.field("description", record.description)
            json.field("disabled_reason", record.disabledReason)
            json.key("enabled_events")
            json.array(StoredJSON.stringArray(record.enabledEvents)) { $0.string($1) }
            json.field("id", record.id)
            json.field("livemode", record.livemode)
            json.field("metadata", json: StoredMetadata.json(record.metadata))
            json.field("object", "webhook_endpoint")
            if let secret { json.field("secret", secret) }
            json.field("status", record.status.rawValue)
            json.field("updated_at", time: record.updatedAt)
            json.field("url", record.url)
        }
    }
}

/// `GET /v1/webhook-endpoints/{id}/secret` and the answer to `rotate-secret`.
struct WebhookSecretResource: JSONWritable, Sendable {
    var endpointID: String
    var secret: String
    /// Until when the previous secret also signs deliveries (during a rotation).
    var previousSecretExpiresAt: Int64?

    init(_ record: WebhookEndpointRecord, secret: String, now: Int64) {
        endpointID = record.id
        self.secret = secret
        previousSecretExpiresAt = record.previousSecretExpiresAt.flatMap { $0 > now ? $0 : nil }
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("endpoint_id", endpointID)
            json.field("object", "webhook_endpoint_secret")
            json.field("previous_secret_expires_at", time: previousSecretExpiresAt)
            json.field("secret", secret)
        }
    }
}

/// The public JSON shape of a delivery; `attempts` only when one delivery is retrieved.
struct WebhookDeliveryResource: JSONWritable, Sendable {
    var view: DeliveryView
    var attempts: [WebhookAttemptRecord]?

    init(_ view: DeliveryView, attempts: [WebhookAttemptRecord]? = nil) {
        self.view = view
        self.attempts = attempts
    }

    func write(to json: inout JSONWriter) {
        let record = view.delivery
        json.object { json in
            json.field("attempt_count", record.attemptCount)
            if let attempts {
                json.key("attempts")
                json.array(attempts) { $0.value(WebhookAttemptResource($1)) }
            }
            json.field("created_at", time: record.createdAt)
            json.field("endpoint_id", record.endpointId)
            json.field("event_id", record.eventId)
            json.field("event_type", view.eventType)
            json.field("id", record.id)
            json.field("last_attempt_at", time: record.lastAttemptAt)
            json.field("last_status_code", record.lastStatusCode)
            json.field("livemode", record.livemode)
            json.field("next_attempt_at", time: record.nextAttemptAt)
            json.field("object", "webhook_delivery")
            json.field("status", record.status.rawValue)
        }
    }
}

/// One attempt: when, how long, what came back. `error_kind` is null for a
/// 2xx, `http` for another status, else why no response came (timeout,
/// refused, dns, tls, blocked, network).
struct WebhookAttemptResource: JSONWritable, Sendable {
    var record: WebhookAttemptRecord

    init(_ record: WebhookAttemptRecord) {
        self.record = record
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("attempted_at", time: record.attemptedAt)
            json.field("duration_ms", record.durationMs)
            json.field("error_kind", record.errorKind?.rawValue)
            json.field("response_excerpt", record.responseExcerpt)
            json.field("status_code", record.statusCode)
        }
    }
}

/// A replay job: how far it got.
struct WebhookReplayResource: JSONWritable, Sendable {
    var record: WebhookReplayRecord

    init(_ record: WebhookReplayRecord) {
        self.record = record
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("completed_at", time: record.completedAt)
            json.field("created_at", time: record.createdAt)
            json.field("endpoint_id", record.endpointId)
            json.field("id", record.id)
            json.field("object", "webhook_replay")
            json.field("queued", record.queued)
            json.field("since", time: record.since)
            json.field("status", record.status.rawValue)
            json.field("until", time: record.until)
        }
    }
}
