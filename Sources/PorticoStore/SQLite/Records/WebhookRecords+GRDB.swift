import Foundation
import GRDB
import PorticoCore

extension WebhookEndpointRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_endpoints"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    package enum Columns {
        package static let id = Column("id")
        package static let organizationId = Column("organization_id")
        package static let livemode = Column("livemode")
        package static let status = Column("status")
    }

    /// Decoded by hand: the dispatcher reads an endpoint per attempt, and
    /// Codable with a key strategy costs several times more.
    package init(row: Row) throws {
        self.init(
            id: row["id"],
            organizationId: row["organization_id"],
            livemode: row["livemode"],
            url: row["url"],
            description: row["description"],
            enabledEvents: row["enabled_events"],
            metadata: row["metadata"],
            status: Status(rawValue: row["status"]) ?? .disabled,
            disabledReason: row["disabled_reason"],
            secret: row["secret"],
            previousSecret: row["previous_secret"],
            previousSecretExpiresAt: row["previous_secret_expires_at"],
            failingSince: row["failing_since"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
    }
}

extension WebhookDeliveryRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_deliveries"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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
        self.init(
            id: row["id"],
            organizationId: row["organization_id"],
            livemode: row["livemode"],
            endpointId: row["endpoint_id"],
            eventId: row["event_id"],
            status: Status(rawValue: row["status"]) ?? .pending,
            attemptCount: row["attempt_count"],
            nextAttemptAt: row["next_attempt_at"],
            lastAttemptAt: row["last_attempt_at"],
            lastStatusCode: row["last_status_code"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
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

extension WebhookAttemptRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_attempts"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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

    package mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension WebhookReplayRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "webhook_replays"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
}
