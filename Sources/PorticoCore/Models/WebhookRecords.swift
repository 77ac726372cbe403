import Foundation

/// A row of `webhook_endpoints`. `secret` signs every delivery; during a
/// rotation `previousSecret` signs too until `previousSecretExpiresAt`.
package struct WebhookEndpointRecord: Codable, Sendable, Equatable {
    /// The URL host of a `portico listen` endpoint: never resolved, never connected to. Its
    /// deliveries go down the connection of the CLI, which only the instance holding it has.
    package static let listenerHost = "listen.portico.test"
    /// The start of every `portico listen` endpoint's URL.
    package static let listenerURLPrefix = "https://\(listenerHost)/"

    package enum Status: String, Codable, Sendable {
        case enabled, disabled
    }

    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var url: String
    package var description: String?
    /// A JSON array of `EventTypePattern`s.
    package var enabledEvents: String
    package var metadata: String
    package var status: Status
    /// Why the endpoint was disabled: `manual`, `gone` (a 410) or `failing`.
    package var disabledReason: String?
    package var secret: String
    package var previousSecret: String?
    package var previousSecretExpiresAt: Int64?
    /// Start of the current unbroken run of failed attempts; nil after any success.
    package var failingSince: Int64?
    package var createdAt: Int64
    package var updatedAt: Int64

    package init(
        id: String,
        scope: TenantScope,
        url: String,
        description: String?,
        enabledEvents: String,
        metadata: String,
        secret: String,
        createdAt: Int64
    ) {
        self.id = id
        self.organizationId = scope.organizationId
        self.livemode = scope.livemode
        self.url = url
        self.description = description
        self.enabledEvents = enabledEvents
        self.metadata = metadata
        self.status = .enabled
        self.secret = secret
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    package var scope: TenantScope { TenantScope(organizationId: organizationId, livemode: livemode) }

    /// The endpoint's subscriptions, parsed (invalid entries, which the API never stores, are skipped).
    package var patterns: [EventTypePattern] {
        StoredJSON.stringArray(enabledEvents).compactMap(EventTypePattern.init)
    }

    /// The secrets that sign a delivery sent at `now`: the current one, plus the previous one during a rotation.
    package func signingSecrets(at now: Int64) -> [String] {
        if let previousSecret, let expiry = previousSecretExpiresAt, now < expiry { return [secret, previousSecret] }
        return [secret]
    }

    /// Every stored property, as read back from storage.
    package init(
        id: String,
        organizationId: String,
        livemode: Bool,
        url: String,
        description: String?,
        enabledEvents: String,
        metadata: String,
        status: Status,
        disabledReason: String?,
        secret: String,
        previousSecret: String?,
        previousSecretExpiresAt: Int64?,
        failingSince: Int64?,
        createdAt: Int64,
        updatedAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.livemode = livemode
        self.url = url
        self.description = description
        self.enabledEvents = enabledEvents
        self.metadata = metadata
        self.status = status
        self.disabledReason = disabledReason
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.failingSince = failingSince
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A row of `webhook_deliveries`: one event owed to one endpoint.
///
/// `pending` until the first attempt, `failed` while retries remain
/// (`nextAttemptAt` says when), then `succeeded` or `dead`. The scheduler
/// picks rows whose `nextAttemptAt` has come; it is nil once nothing is owed.
package struct WebhookDeliveryRecord: Codable, Sendable, Equatable {
    package enum Status: String, Codable, Sendable, CaseIterable {
        case pending, failed, succeeded, dead
    }

    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var endpointId: String
    package var eventId: String
    package var status: Status
    package var attemptCount: Int
    package var nextAttemptAt: Int64?
    package var lastAttemptAt: Int64?
    package var lastStatusCode: Int?
    package var createdAt: Int64
    package var updatedAt: Int64

    package init(id: String, endpoint: WebhookEndpointRecord, eventId: String, at now: Int64) {
        self.id = id
        self.organizationId = endpoint.organizationId
        self.livemode = endpoint.livemode
        self.endpointId = endpoint.id
        self.eventId = eventId
        self.status = .pending
        self.attemptCount = 0
        self.nextAttemptAt = now
        self.createdAt = now
        self.updatedAt = now
    }

    /// Every stored property, as read back from storage.
    package init(
        id: String,
        organizationId: String,
        livemode: Bool,
        endpointId: String,
        eventId: String,
        status: Status,
        attemptCount: Int,
        nextAttemptAt: Int64?,
        lastAttemptAt: Int64?,
        lastStatusCode: Int?,
        createdAt: Int64,
        updatedAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.livemode = livemode
        self.endpointId = endpointId
        self.eventId = eventId
        self.status = status
        self.attemptCount = attemptCount
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatusCode = lastStatusCode
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A row of `webhook_attempts`: one HTTP exchange (or the failure to have one).
package struct WebhookAttemptRecord: Codable, Sendable, Equatable {
    /// Why no acceptable response came back; nil when one did (2xx) — and
    /// `http` when a response came back but was not a 2xx.
    package enum ErrorKind: String, Codable, Sendable, CaseIterable {
        case timeout, refused, dns, tls, blocked, network, http
    }

    package var id: Int64?
    package var deliveryId: String
    package var attemptedAt: Int64
    package var durationMs: Int64
    package var statusCode: Int?
    package var errorKind: ErrorKind?
    package var responseExcerpt: String?

    package init(
        deliveryId: String,
        attemptedAt: Int64,
        durationMs: Int64,
        statusCode: Int?,
        errorKind: ErrorKind?,
        responseExcerpt: String?
    ) {
        self.deliveryId = deliveryId
        self.attemptedAt = attemptedAt
        self.durationMs = durationMs
        self.statusCode = statusCode
        self.errorKind = errorKind
        self.responseExcerpt = responseExcerpt
    }
}

/// A row of `webhook_replays`: a background job re-queuing an endpoint's
/// failed and dead deliveries created within [since, until).
package struct WebhookReplayRecord: Codable, Sendable, Equatable {
    package enum Status: String, Codable, Sendable {
        case running, completed
    }

    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var endpointId: String
    package var since: Int64
    package var until: Int64
    package var status: Status
    package var queued: Int
    package var createdAt: Int64
    package var completedAt: Int64?

    package init(id: String, endpoint: WebhookEndpointRecord, since: Int64, until: Int64, createdAt: Int64) {
        self.id = id
        self.organizationId = endpoint.organizationId
        self.livemode = endpoint.livemode
        self.endpointId = endpoint.id
        self.since = since
        self.until = until
        self.status = .running
        self.queued = 0
        self.createdAt = createdAt
    }
}

/// JSON kept in TEXT columns (string arrays such as `enabled_events`).
package enum StoredJSON {
    package static func stringArray(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    package static func encode(_ strings: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(strings)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
