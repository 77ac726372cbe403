import Logging
import PorticoCore
import PostgresNIO

/// A Core record and the table that holds it. Its coding keys are the
/// columns (as for GRDB on SQLite), so `insert` and `update` need no list.
protocol StoredRecord: Codable, Sendable {
    static var table: String { get }
}

extension OrganizationRecord: StoredRecord { static let table = "organizations" }
extension UserRecord: StoredRecord { static let table = "users" }
extension MembershipRecord: StoredRecord { static let table = "memberships" }
extension AuditEntryRecord: StoredRecord { static let table = "audit_log" }
extension APIKeyRecord: StoredRecord { static let table = "api_keys" }
extension CustomerRecord: StoredRecord { static let table = "customers" }
extension EventRecord: StoredRecord { static let table = "events" }
extension DashboardSessionRecord: StoredRecord { static let table = "dashboard_sessions" }
extension InvitationRecord: StoredRecord { static let table = "invitations" }
extension EmailConfirmationRecord: StoredRecord { static let table = "email_confirmations" }
extension PasswordResetRecord: StoredRecord { static let table = "password_resets" }
extension MailRecord: StoredRecord { static let table = "mail_outbox" }
extension StaffRecord: StoredRecord { static let table = "staff_users" }
extension StaffSessionRecord: StoredRecord { static let table = "staff_sessions" }
extension InvoiceRecord: StoredRecord { static let table = "invoices" }
extension WebhookEndpointRecord: StoredRecord { static let table = "webhook_endpoints" }
extension WebhookDeliveryRecord: StoredRecord { static let table = "webhook_deliveries" }
extension WebhookAttemptRecord: StoredRecord { static let table = "webhook_attempts" }
extension WebhookReplayRecord: StoredRecord { static let table = "webhook_replays" }

extension PostgresConnection {
    /// Inserts the record into its table.
    @discardableResult
    func insert<T: StoredRecord>(_ record: T, suffix: String = "", logger: Logger) async throws -> Int {
        try await insert(record, into: T.table, suffix: suffix, logger: logger)
    }

    /// Updates the record's row, found by `key`.
    @discardableResult
    func update<T: StoredRecord>(_ record: T, key: String = "id", logger: Logger) async throws -> Int {
        try await update(record, in: T.table, key: key, logger: logger)
    }
}
