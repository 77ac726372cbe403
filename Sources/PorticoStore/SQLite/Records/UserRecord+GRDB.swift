import Foundation
import GRDB
import PorticoCore

extension UserRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "users"
}

extension MembershipRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "memberships"
}
