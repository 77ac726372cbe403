import Foundation
import GRDB
import PorticoCore

/// A row of `webhook_endpoints`. `secret` signs every delivery; during a
/// rotation `previousSecret` signs too until `previousSecretExpiresAt`.
package struct WebhookEndpointRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_endpoints"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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

    package enum Columns {
        package static let id = Column("id")
        package static let organizationId = Column("organization_id")
        package static let livemode = Column("livemode")
        package static let status = Column("status")
    }

    /// Decoded by hand: the dispatcher reads an endpoint per attempt, and
    /// Codable with a key strategy costs several times more.
    package init(row: Row) throws {
        id = row["id"]
        organizationId = row["organization_id"]
        livemode = row["livemode"]
        url = row["url"]
        description = row["description"]
        enabledEvents = row["enabled_events"]
        metadata = row["metadata"]
        status = Status(rawValue: row["status"]) ?? .disabled
        disabledReason = row["disabled_reason"]
        secret = row["secret"]
        previousSecret = row["previous_secret"]
        previousSecretExpiresAt = row["previous_secret_expires_at"]
        failingSince = row["failing_since"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
    }
}

/// A row of `webhook_deliveries`: one event owed to one endpoint.
///
/// `pending` until the first attempt, `failed` while retries remain
/// (`nextAttemptAt` says when), then `succeeded` or `dead`. The scheduler
/// picks rows whose `nextAttemptAt` has come; it is nil once nothing is owed.
package struct WebhookDeliveryRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_deliveries"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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

    package enum Columns {
        package static let id = Column("id")
        package static let organizationId = Column("organization_id")
        package static let livemode = Column("livemode")
        package static let endpointId = Column("endpoint_id")
        package static let eventId = Column("event_id")
        package static let status = Column("status")
        package static let nextAttemptAt = Column("next_attempt_at")
        package static let createdAt = Column("created_at")
    }

    /// Decoded and encoded by hand: every attempt reads and writes its delivery.
    package init(row: Row) throws {
        id = row["id"]
        organizationId = row["organization_id"]
        livemode = row["livemode"]
        endpointId = row["endpoint_id"]
        eventId = row["event_id"]
        status = Status(rawValue: row["status"]) ?? .pending
        attemptCount = row["attempt_count"]
        nextAttemptAt = row["next_attempt_at"]
        lastAttemptAt = row["last_attempt_at"]
        lastStatusCode = row["last_status_code"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
    }

    package func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["organization_id"] = organizationId
        container["livemode"] = livemode
        container["endpoint_id"] = endpointId
        container["event_id"] = eventId
        container["status"] = status.rawValue
        container["attempt_count"] = attemptCount
        container["next_attempt_at"] = nextAttemptAt
        container["last_attempt_at"] = lastAttemptAt
        container["last_status_code"] = lastStatusCode
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
    }
}

/// A row of `webhook_attempts`: one HTTP exchange (or the failure to have one).
package struct WebhookAttemptRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_attempts"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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

    package mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Encoded by hand: one attempt row is written per attempt.
    package func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["delivery_id"] = deliveryId
        container["attempted_at"] = attemptedAt
        container["duration_ms"] = durationMs
        container["status_code"] = statusCode
        container["error_kind"] = errorKind?.rawValue
        container["response_excerpt"] = responseExcerpt
    }
}

/// A row of `webhook_replays`: a background job re-queuing an endpoint's
/// failed and dead deliveries created within [since, until).
package struct WebhookReplayRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_replays"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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
