import Foundation
import GRDB
import PorticoCore

extension InvoiceRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "invoices"

    package enum Columns {
        package static let id = Column(CodingKeys.id)
        package static let organizationId = Column(CodingKeys.organizationId)
        package static let livemode = Column(CodingKeys.livemode)
    }
}

extension UsageRow: FetchableRecord {
    package init(row: Row) {
        self.init(
            hourStart: row["hour_start"],
            metric: row["metric"],
            keyId: row["key_id"],
            quantity: row["quantity"]
        )
    }
}
