import GRDB
import PorticoCore

/// A row of `events`: something that happened in one tenant, kept for
/// `events.retention_days` and fanned out to subscribed webhook endpoints.
package struct EventRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "events"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var type: String
    /// The event's `data` as a JSON object, stored as sent out.
    package var data: String
    package var requestId: String?
    package var createdAt: Int64

    package init(id: String, scope: TenantScope, type: String, data: String, requestId: String?, createdAt: Int64) {
        self.id = id
        self.organizationId = scope.organizationId
        self.livemode = scope.livemode
        self.type = type
        self.data = data
        self.requestId = requestId
        self.createdAt = createdAt
    }

    package var scope: TenantScope { TenantScope(organizationId: organizationId, livemode: livemode) }

    package enum Columns {
        package static let id = Column("id")
        package static let organizationId = Column("organization_id")
        package static let livemode = Column("livemode")
        package static let type = Column("type")
        package static let createdAt = Column("created_at")
    }

    /// Decoded by hand: every attempt reads its event.
    package init(row: Row) throws {
        id = row["id"]
        organizationId = row["organization_id"]
        livemode = row["livemode"]
        type = row["type"]
        data = row["data"]
        requestId = row["request_id"]
        createdAt = row["created_at"]
    }
}
