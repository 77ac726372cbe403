import Foundation
import GRDB
import PorticoCore

extension DashboardSessionRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "dashboard_sessions"
}

extension InvitationRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "invitations"
}

extension EmailConfirmationRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "email_confirmations"
}

extension PasswordResetRecord: FetchableRecord, PersistableRecord {
    package static let databaseTableName = "password_resets"
}
