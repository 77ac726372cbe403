import Foundation
import GRDB
import PorticoCore

extension EventRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "events"
    package static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    package static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    package enum Columns {
        package static let id = Column("id")
        package static let organizationId = Column("organization_id")
        package static let livemode = Column("livemode")
        package static let type = Column("type")
        package static let createdAt = Column("created_at")
    }

    /// Decoded by hand: every attempt reads its event.
    package init(row: Row) throws {
        self.init(
            id: row["id"],
            organizationId: row["organization_id"],
            livemode: row["livemode"],
            type: row["type"],
            data: row["data"],
            requestId: row["request_id"],
            createdAt: row["created_at"]
        )
    }
}
