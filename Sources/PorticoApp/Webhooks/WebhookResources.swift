import Foundation
import PorticoCore
import PorticoStore

/// The public JSON shape of a webhook endpoint. `secret` appears only in the
/// answer to the create call; afterwards it is read with
/// `GET /v1/webhook-endpoints/{id}/secret`.
struct WebhookEndpointResource: Encodable, Sendable {
    var id: String
    let object = "webhook_endpoint"
    var url: String
    @NullEncoded var description: String?
    var enabledEvents: [String]
    var metadata: [String: String]
    var status: String
    @NullEncoded var disabledReason: String?
    var livemode: Bool
    var createdAt: String
    var updatedAt: String
    var secret: String?

    /// `secret`: the opened signing secret, only in the answer to the create call.
    init(_ record: WebhookEndpointRecord, secret: String? = nil) {
        id = record.id
        url = record.url
        description = record.description
        enabledEvents = StoredJSON.stringArray(record.enabledEvents)
        metadata = StoredMetadata.decode(record.metadata)
        status = record.status.rawValue
        disabledReason = record.disabledReason
        livemode = record.livemode
        createdAt = RFC3339.string(milliseconds: record.createdAt)
        updatedAt = RFC3339.string(milliseconds: record.updatedAt)
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, object, url, description, metadata, status, livemode, secret
        case enabledEvents = "enabled_events"
        case disabledReason = "disabled_reason"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// `GET /v1/webhook-endpoints/{id}/secret` and the answer to `rotate-secret`.
struct WebhookSecretResource: Encodable, Sendable {
    let object = "webhook_endpoint_secret"
    var endpointID: String
    var secret: String
    /// Until when the previous secret also signs deliveries (during a rotation).
    @NullEncoded var previousSecretExpiresAt: String?

    init(_ record: WebhookEndpointRecord, secret: String, now: Int64) {
        endpointID = record.id
        self.secret = secret
        previousSecretExpiresAt = record.previousSecretExpiresAt.flatMap { $0 > now ? RFC3339.string(milliseconds: $0) : nil }
    }

    enum CodingKeys: String, CodingKey {
        case object, secret
        case endpointID = "endpoint_id"
        case previousSecretExpiresAt = "previous_secret_expires_at"
    }
}

/// The public JSON shape of a delivery; `attempts` only when one delivery is retrieved.
struct WebhookDeliveryResource: Encodable, Sendable {
    var id: String
    let object = "webhook_delivery"
    var endpointID: String
    var eventID: String
    var eventType: String
    var status: String
    var attemptCount: Int
    @NullEncoded var nextAttemptAt: String?
    @NullEncoded var lastAttemptAt: String?
    @NullEncoded var lastStatusCode: Int?
    var livemode: Bool
    var createdAt: String
    var attempts: [WebhookAttemptResource]?

    init(_ view: DeliveryView, attempts: [WebhookAttemptRecord]? = nil) {
        let record = view.delivery
        id = record.id
        endpointID = record.endpointId
        eventID = record.eventId
        eventType = view.eventType
        status = record.status.rawValue
        attemptCount = record.attemptCount
        nextAttemptAt = record.nextAttemptAt.map(RFC3339.string(milliseconds:))
        lastAttemptAt = record.lastAttemptAt.map(RFC3339.string(milliseconds:))
        lastStatusCode = record.lastStatusCode
        livemode = record.livemode
        createdAt = RFC3339.string(milliseconds: record.createdAt)
        self.attempts = attempts?.map(WebhookAttemptResource.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, object, status, livemode, attempts
        case endpointID = "endpoint_id"
        case eventID = "event_id"
        case eventType = "event_type"
        case attemptCount = "attempt_count"
        case nextAttemptAt = "next_attempt_at"
        case lastAttemptAt = "last_attempt_at"
        case lastStatusCode = "last_status_code"
        case createdAt = "created_at"
    }
}

/// One attempt: when, how long, what came back. `error_kind` is null for a
/// 2xx, `http` for another status, else why no response came (timeout,
/// refused, dns, tls, blocked, network).
struct WebhookAttemptResource: Encodable, Sendable {
    var attemptedAt: String
    var durationMs: Int64
    @NullEncoded var statusCode: Int?
    @NullEncoded var errorKind: String?
    @NullEncoded var responseExcerpt: String?

    init(_ record: WebhookAttemptRecord) {
        attemptedAt = RFC3339.string(milliseconds: record.attemptedAt)
        durationMs = record.durationMs
        statusCode = record.statusCode
        errorKind = record.errorKind?.rawValue
        responseExcerpt = record.responseExcerpt
    }

    enum CodingKeys: String, CodingKey {
        case attemptedAt = "attempted_at"
        case durationMs = "duration_ms"
        case statusCode = "status_code"
        case errorKind = "error_kind"
        case responseExcerpt = "response_excerpt"
    }
}

/// A replay job: how far it got.
struct WebhookReplayResource: Encodable, Sendable {
    var id: String
    let object = "webhook_replay"
    var endpointID: String
    var since: String
    var until: String
    var status: String
    var queued: Int
    var createdAt: String
    @NullEncoded var completedAt: String?

    init(_ record: WebhookReplayRecord) {
        id = record.id
        endpointID = record.endpointId
        since = RFC3339.string(milliseconds: record.since)
        until = RFC3339.string(milliseconds: record.until)
        status = record.status.rawValue
        queued = record.queued
        createdAt = RFC3339.string(milliseconds: record.createdAt)
        completedAt = record.completedAt.map(RFC3339.string(milliseconds:))
    }

    enum CodingKeys: String, CodingKey {
        case id, object, since, until, status, queued
        case endpointID = "endpoint_id"
        case createdAt = "created_at"
        case completedAt = "completed_at"
    }
}
