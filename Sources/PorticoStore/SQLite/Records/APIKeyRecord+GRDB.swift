import Foundation
import GRDB
import PorticoCore

extension APIKeyRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "api_keys"

    package enum Columns {
        package static let id = Column(CodingKeys.id)
        package static let organizationId = Column(CodingKeys.organizationId)
        package static let livemode = Column(CodingKeys.livemode)
        package static let secretHash = Column(CodingKeys.secretHash)
        package static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
