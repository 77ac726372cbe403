import Foundation
import GRDB
import PorticoCore

extension AuditEntryRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "audit_log"

    package enum Columns {
        package static let id = Column(CodingKeys.id)
        package static let organizationId = Column(CodingKeys.organizationId)
    }
}
