import Foundation
import GRDB
import PorticoCore

extension CustomerRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "customers"

    package enum Columns {
        package static let id = Column(CodingKeys.id)
        package static let organizationId = Column(CodingKeys.organizationId)
        package static let livemode = Column(CodingKeys.livemode)
        package static let email = Column(CodingKeys.email)
    }
}
