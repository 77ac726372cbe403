import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore
import PorticoStore

@testable import PorticoApp

// The API's resources as `JSONEncoder` rendered them before issue 17 (the
// code of commit f11d7a9, renamed `Legacy…`): the oracle `ResourceRenderingTests`
// holds `JSONWriter` to, byte for byte. Kept verbatim; do not "fix" it.

struct LegacyCustomerResource: Encodable, Sendable {
    var id: String
    var name: String?
    var email: String?
    var description: String?
    var metadata: [String: String]
    var livemode: Bool
    var createdAt: Int64
    var updatedAt: Int64

    init(_ record: CustomerRecord) {
        id = record.id
        name = record.name
        email = record.email
        description = record.description
        metadata = StoredMetadata.decode(record.metadata)
        livemode = record.livemode
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, object, name, email, description, metadata, livemode
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Every field is always present; absent values are `null`, as in Stripe.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode("customer", forKey: .object)
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        try container.encode(description, forKey: .description)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(livemode, forKey: .livemode)
        try container.encode(RFC3339.string(milliseconds: createdAt), forKey: .createdAt)
        try container.encode(RFC3339.string(milliseconds: updatedAt), forKey: .updatedAt)
    }
}

struct LegacyDeletedResource: Encodable, Sendable {
    var id: String
    var object: String
    let deleted = true
}

struct LegacyEventResource: Encodable, Sendable {
    var id: String
    let object = "event"
    var type: String
    var data: JSONValue
    var livemode: Bool
    @LegacyNullEncoded var requestID: String?
    var createdAt: String

    init(_ record: EventRecord) {
        id = record.id
        type = record.type
        data = (try? JSONDecoder().decode(JSONValue.self, from: Data(record.data.utf8))) ?? .object([:])
        livemode = record.livemode
        requestID = record.requestId
        createdAt = RFC3339.string(milliseconds: record.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, object, type, data, livemode
        case requestID = "request_id"
        case createdAt = "created_at"
    }
}

struct LegacyRequestLogResource: Encodable {
    let object = "request_log"
    var id: String
    var livemode: Bool
    var method: String
    var path: String
    @LegacyNullEncoded var route: String?
    var status: Int
    var durationMs: Double
    @LegacyNullEncoded var keyID: String?
    @LegacyNullEncoded var ip: String?
    @LegacyNullEncoded var userAgent: String?
    @LegacyNullEncoded var requestBody: String?
    @LegacyNullEncoded var responseBody: String?
    var createdAt: String

    init(_ entry: RequestLogEntry) {
        id = entry.requestId
        livemode = entry.livemode ?? false
        method = entry.method
        path = entry.path
        route = entry.route
        status = entry.status
        durationMs = Double(entry.durationMicroseconds) / 1_000
        keyID = entry.keyId
        ip = entry.ip
        userAgent = entry.userAgent
        requestBody = entry.requestBody
        responseBody = entry.responseBody
        createdAt = RFC3339.string(milliseconds: entry.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case object, id, livemode, method, path, route, status, ip
        case durationMs = "duration_ms"
        case keyID = "key_id"
        case userAgent = "user_agent"
        case requestBody = "request_body"
        case responseBody = "response_body"
        case createdAt = "created_at"
    }
}

struct LegacyWebhookEndpointResource: Encodable, Sendable {
    var id: String
    let object = "webhook_endpoint"
    var url: String
    @LegacyNullEncoded var description: String?
    var enabledEvents: [String]
    var metadata: [String: String]
    var status: String
    @LegacyNullEncoded var disabledReason: String?
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

struct LegacyWebhookSecretResource: Encodable, Sendable {
    let object = "webhook_endpoint_secret"
    var endpointID: String
    var secret: String
    /// Until when the previous secret also signs deliveries (during a rotation).
    @LegacyNullEncoded var previousSecretExpiresAt: String?

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

struct LegacyWebhookDeliveryResource: Encodable, Sendable {
    var id: String
    let object = "webhook_delivery"
    var endpointID: String
    var eventID: String
    var eventType: String
    var status: String
    var attemptCount: Int
    @LegacyNullEncoded var nextAttemptAt: String?
    @LegacyNullEncoded var lastAttemptAt: String?
    @LegacyNullEncoded var lastStatusCode: Int?
    var livemode: Bool
    var createdAt: String
    var attempts: [LegacyWebhookAttemptResource]?

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
        self.attempts = attempts?.map(LegacyWebhookAttemptResource.init)
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

struct LegacyWebhookAttemptResource: Encodable, Sendable {
    var attemptedAt: String
    var durationMs: Int64
    @LegacyNullEncoded var statusCode: Int?
    @LegacyNullEncoded var errorKind: String?
    @LegacyNullEncoded var responseExcerpt: String?

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

struct LegacyWebhookReplayResource: Encodable, Sendable {
    var id: String
    let object = "webhook_replay"
    var endpointID: String
    var since: String
    var until: String
    var status: String
    var queued: Int
    var createdAt: String
    @LegacyNullEncoded var completedAt: String?

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

struct LegacyAPIKeyResource: Encodable {
    let object = "api_key"
    var id: String
    var livemode: Bool
    var kind: String
    @LegacyNullEncoded var label: String?
    var redacted: String
    var scopes: [String]
    var allowedIPs: [String]
    var status: String
    @LegacyNullEncoded var expiresAt: String?
    @LegacyNullEncoded var revokedAt: String?
    @LegacyNullEncoded var rolledTo: String?
    @LegacyNullEncoded var lastUsedAt: String?
    var createdAt: String
    var secret: String?

    init(_ record: APIKeyRecord, now: Int64, secret: String? = nil) {
        id = record.id
        livemode = record.livemode
        kind = record.kind
        label = record.label
        redacted = "\(record.prefix)…\(record.last4)"
        scopes = ScopeSet(stored: record.scopes).listed
        allowedIPs = record.allowedCidrs.split(separator: " ").map(String.init)
        status = KeyState(revokedAt: record.revokedAt, expiresAt: record.expiresAt, rolledToID: record.rolledToId, now: now).apiStatus
        expiresAt = record.expiresAt.map { RFC3339.string(milliseconds: $0) }
        revokedAt = record.revokedAt.map { RFC3339.string(milliseconds: $0) }
        rolledTo = record.rolledToId
        lastUsedAt = record.lastUsedAt.map { RFC3339.string(milliseconds: $0) }
        createdAt = RFC3339.string(milliseconds: record.createdAt)
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case object, id, livemode, kind, label, redacted, scopes, status, secret
        case allowedIPs = "allowed_ips"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case rolledTo = "rolled_to"
        case lastUsedAt = "last_used_at"
        case createdAt = "created_at"
    }
}

struct LegacyKeyVerification: Encodable {
    struct Limit: Encodable {
        var name: String
        var limit: Int
        var windowSeconds: Int
        var remaining: Int
        var resetSeconds: Int

        init(_ state: LimitState) {
            name = state.policy.name
            limit = state.policy.quota
            windowSeconds = state.policy.windowSeconds
            remaining = state.remaining
            resetSeconds = state.resetSeconds
        }

        enum CodingKeys: String, CodingKey {
            case name, limit, remaining
            case windowSeconds = "window_seconds"
            case resetSeconds = "reset_seconds"
        }
    }

    let object = "key_verification"
    var valid = false
    var code: String
    @LegacyNullEncoded var keyID: String?
    @LegacyNullEncoded var organization: String?
    @LegacyNullEncoded var livemode: Bool?
    @LegacyNullEncoded var kind: String?
    @LegacyNullEncoded var scopes: [String]?
    @LegacyNullEncoded var expiresAt: String?
    var limits: [Limit] = []

    init(code: String, principal: Principal? = nil) {
        self.code = code
        keyID = principal?.keyID
        organization = principal?.organizationID
        livemode = principal?.livemode
        kind = principal?.kind.rawValue
        scopes = principal?.scopes.listed
        expiresAt = principal?.expiresAt.map { RFC3339.string(milliseconds: $0) }
    }

    enum CodingKeys: String, CodingKey {
        case object, valid, code, livemode, kind, scopes, limits
        case organization = "organization_id"
        case keyID = "key_id"
        case expiresAt = "expires_at"
    }
}

struct LegacyUsageRecordResource: Encodable, Sendable {
    let object = "usage_record"
    let id: String
    let metric: String
    let quantity: Int64
    let timestamp: String
    let idempotencyKey: String
    let livemode: Bool
    let created: String

    init(_ record: UsageRecord) {
        id = record.id
        metric = record.metric
        quantity = record.quantity
        timestamp = RFC3339.string(milliseconds: record.timestamp)
        idempotencyKey = record.idempotencyKey
        livemode = record.livemode
        created = RFC3339.string(milliseconds: record.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case object, id, metric, quantity, timestamp, livemode, created
        case idempotencyKey = "idempotency_key"
    }
}

struct LegacyInvoiceResource: Encodable {
    struct Line: Encodable {
        var description: String
        var quantity: Int64
        @LegacyNullEncoded var unitAmount: Int64?
        var amount: Int64

        enum CodingKeys: String, CodingKey {
            case description, quantity, amount
            case unitAmount = "unit_amount"
        }
    }

    let object = "invoice"
    var id: String
    var livemode: Bool
    var plan: String
    var currency: String
    var periodStart: String
    var periodEnd: String
    var baseAmount: Int64
    @LegacyNullEncoded var includedQuantity: Int64?
    var usageQuantity: Int64
    var overageQuantity: Int64
    @LegacyNullEncoded var overageUnitAmount: Int64?
    var overageAmount: Int64
    var total: Int64
    var lines: [Line]
    var createdAt: String

    init(_ record: InvoiceRecord) {
        id = record.id
        livemode = record.livemode
        plan = record.plan
        currency = record.currency
        periodStart = RFC3339.string(milliseconds: record.periodStart)
        periodEnd = RFC3339.string(milliseconds: record.periodEnd)
        baseAmount = record.baseAmount
        includedQuantity = record.includedQuantity
        usageQuantity = record.usageQuantity
        overageQuantity = record.overageQuantity
        overageUnitAmount = record.overageUnitAmount
        overageAmount = record.overageAmount
        total = record.total
        createdAt = RFC3339.string(milliseconds: record.createdAt)
        var lines = [
            Line(description: "\(record.plan) plan, monthly base fee", quantity: 1, unitAmount: record.baseAmount, amount: record.baseAmount)
        ]
        if record.overageQuantity > 0 {
            lines.append(
                Line(
                    description: "Overage: \(record.overageQuantity) × 1,000 requests past \(record.includedQuantity ?? 0) included",
                    quantity: record.overageQuantity,
                    unitAmount: record.overageUnitAmount,
                    amount: record.overageAmount
                )
            )
        }
        self.lines = lines
    }

    enum CodingKeys: String, CodingKey {
        case object, id, livemode, plan, currency, total, lines
        case periodStart = "period_start"
        case periodEnd = "period_end"
        case baseAmount = "base_amount"
        case includedQuantity = "included_quantity"
        case usageQuantity = "usage_quantity"
        case overageQuantity = "overage_quantity"
        case overageUnitAmount = "overage_unit_amount"
        case overageAmount = "overage_amount"
        case createdAt = "created_at"
    }
}

struct LegacyUsageReport: Encodable {
    let object = "usage"
    var livemode: Bool
    var plan: String
    var groupBy: String
    var since: String
    var until: String
    var data: [LegacyUsageLine]
    var currentPeriod: LegacyQuotaPeriodResource
    @LegacyNullEncoded var currentDay: LegacyQuotaPeriodResource?

    enum CodingKeys: String, CodingKey {
        case object, livemode, plan, since, until, data
        case groupBy = "group_by"
        case currentPeriod = "current_period"
        case currentDay = "current_day"
    }
}

struct LegacyUsageLine: Encodable {
    struct Group: Hashable {
        var periodStart: Int64?
        var keyID: String?
        var metric: String
    }

    var group: Group
    var quantity: Int64

    enum CodingKeys: String, CodingKey {
        case metric, quantity
        case periodStart = "period_start"
        case keyID = "key_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(group.metric, forKey: .metric)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(group.periodStart.map { RFC3339.string(milliseconds: $0) }, forKey: .periodStart)
        try container.encode(group.keyID, forKey: .keyID)
    }
}

struct LegacyQuotaPeriodResource: Encodable {
    var start: Int64
    var end: Int64
    var used: Int64
    var quota: Int?
    /// Whether running out refuses requests (false: overage is billed).
    var enforced: Bool

    enum CodingKeys: String, CodingKey {
        case used, quota, remaining, enforced
        case start = "period_start"
        case end = "period_end"
        case metric
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(RFC3339.string(milliseconds: start), forKey: .start)
        try container.encode(RFC3339.string(milliseconds: end), forKey: .end)
        try container.encode(UsageMetric.requests, forKey: .metric)
        try container.encode(used, forKey: .used)
        try container.encode(quota, forKey: .quota)
        try container.encode(quota.map { max(0, Int64($0) - used) }, forKey: .remaining)
        try container.encode(enforced, forKey: .enforced)
    }
}

struct LegacyUsageThresholdResource: Encodable {
    let object = "usage_threshold"
    var metric: String
    var period: String
    var periodStart: String
    var periodEnd: String
    /// Percent of the quota: 80 or 100.
    var threshold: Int
    var quantity: Int64
    var quota: Int64
    var livemode: Bool

    init(_ crossing: UsageThresholdCrossing) {
        metric = crossing.metric
        period = crossing.period.name
        periodStart = RFC3339.string(milliseconds: crossing.periodStart)
        periodEnd = RFC3339.string(milliseconds: crossing.periodEnd)
        threshold = crossing.threshold
        quantity = crossing.quantity
        quota = crossing.limit
        livemode = crossing.livemode
    }

    enum CodingKeys: String, CodingKey {
        case object, metric, period, threshold, quantity, quota, livemode
        case periodStart = "period_start"
        case periodEnd = "period_end"
    }
}

struct LegacyListenReady: Encodable {
    var endpointId: String
    var secret: String
    var livemode: Bool
    var enabledEvents: [String]

    enum CodingKeys: String, CodingKey {
        case endpointId = "endpoint_id"
        case secret, livemode
        case enabledEvents = "enabled_events"
    }
}

struct LegacyListenResult: Encodable {
    let object = "listen_result"
    var deliveryId: String
    let recorded = true

    enum CodingKeys: String, CodingKey {
        case object
        case deliveryId = "delivery_id"
        case recorded
    }
}

struct LegacyProblemDocument: Encodable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var code: String
    var param: String?
    var limit: String?
    var requestID: String

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, code, param, limit
        case requestID = "request_id"
    }

    init(_ error: APIError, baseURL: String, requestID: String) {
        self.type = "\(baseURL)/docs/errors/\(error.code.rawValue)"
        self.title = error.code.title
        self.status = Int(error.status.code)
        self.detail = error.detail
        self.code = error.code.rawValue
        self.param = error.param
        self.limit = error.limit
        self.requestID = requestID
    }
}

struct LegacySandboxEmailResource: Encodable {
    let object = "sandbox_email"
    var id: String
    var kind: String
    var from: String
    var to: [String]
    var subject: String
    var text: String
    @LegacyNullEncoded var html: String?
    /// Every http(s) link in the text body, in order.
    var links: [String]
    var createdAt: String

    init(_ mail: MailRecord, content: MailContent, from sender: MailAddress) {
        id = mail.id
        kind = mail.kind
        from = sender.address
        to = mail.recipients.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        subject = mail.subject
        text = content.text
        html = content.html
        links = MailLinks.all(in: content.text)
        createdAt = RFC3339.string(milliseconds: mail.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case object, id, kind, from, to, subject, text, html, links
        case createdAt = "created_at"
    }
}

struct LegacyListEnvelope<Item: Encodable>: Encodable {
    let object = "list"
    var data: [Item]
    var hasMore: Bool
    var url: String

    enum CodingKeys: String, CodingKey {
        case object, data, url
        case hasMore = "has_more"
    }
}

@propertyWrapper
struct LegacyNullEncoded<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

struct LegacyListenerDelivery: Encodable {
    var deliveryId: String
    var eventType: String
    var attempt: Int
    var headers: [String: String]
    var body: String

    enum CodingKeys: String, CodingKey {
        case deliveryId = "delivery_id"
        case eventType = "event_type"
        case attempt, headers, body
    }
}

struct LegacySandboxClockResource: Encodable {
    let object = "sandbox_clock"
    var now: String
    var offsetSeconds: Int

    enum CodingKeys: String, CodingKey {
        case object, now
        case offsetSeconds = "offset_seconds"
    }
}

extension LegacyNullEncoded: Sendable where Value: Sendable {}
