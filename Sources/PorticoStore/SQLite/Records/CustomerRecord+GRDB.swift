import Foundation
import GRDB
import PorticoCore

extension CustomerRecord: PositionalRecord, PersistableRecord {
    package static let databaseTableName = "customers"

    package enum Columns {
        package static let id = Column(CodingKeys.id)
        package static let organizationId = Column(CodingKeys.organizationId)
        package static let livemode = Column(CodingKeys.livemode)
        package static let email = Column(CodingKeys.email)
    }

    package static let columns = "id, organization_id, livemode, name, email, description, metadata, created_at, updated_at"

    package init(row: Row) { self.init(columns: GRDBRowColumns(row: row)) }

    /// By position (the `Decodable` default looked each column up by name, case-insensitively).
    package init(columns row: some PositionalColumns) {
        self.init(
            id: row[0],
            organizationId: row[1],
            livemode: row[2],
            name: row[3],
            email: row[4],
            description: row[5],
            metadata: row[6],
            createdAt: row[7],
            updatedAt: row[8]
        )
    }
}
