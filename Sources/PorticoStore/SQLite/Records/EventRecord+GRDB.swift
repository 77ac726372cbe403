import Foundation
import GRDB
import PorticoCore

extension EventRecord: PositionalRecord, PersistableRecord {
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

    package static let columns = "id, organization_id, livemode, type, data, request_id, created_at"

    package init(row: Row) { self.init(columns: GRDBRowColumns(row: row)) }

    /// Decoded by hand, by position: every list and every delivery attempt reads events.
    package init(columns row: some PositionalColumns) {
        self.init(
            id: row[0],
            organizationId: row[1],
            livemode: row[2],
            type: row[3],
            data: row[4],
            requestId: row[5],
            createdAt: row[6]
        )
    }
}
