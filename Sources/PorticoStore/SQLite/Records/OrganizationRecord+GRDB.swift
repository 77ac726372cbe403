import Foundation
import GRDB
import PorticoCore

extension OrganizationRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "organizations"
}
