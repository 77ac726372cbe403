import Foundation
import GRDB
import PorticoCore

extension StaffRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "staff_users"
}

extension StaffSessionRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "staff_sessions"
}

extension MailRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "mail_outbox"
}
