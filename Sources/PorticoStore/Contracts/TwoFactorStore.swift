import Foundation
import PorticoCore

/// Whose second factor: staff accounts and dashboard users keep theirs in
/// their own tables, under the same rules.
package enum TwoFactorHolder: String, Sendable, CaseIterable {
    case staff
    case user
}

/// TOTP secrets and recovery codes of staff and dashboard users. The one-time
/// checks (a TOTP step, a recovery code) are compare-and-set, so two requests
/// racing with the same code cannot both win.
package protocol TwoFactorStore: Sendable {
    /// Enrolls: `sealedSecret` is in use from `step` on, with these recovery codes (their hashes),
    /// and every session of the account but `keepingSession` ends; false, changing nothing, when
    /// the account was enrolled already. No secret is kept before this: the one enrolled is the
    /// one the enrolling form showed.
    func enrollTOTP(
        _ holder: TwoFactorHolder,
        id: String,
        sealedSecret: String,
        step: Int64,
        recoveryCodeHashes: [Data],
        keepingSession: Data,
        at now: Int64,
        audit: AuditEntryRecord
    ) async throws -> Bool
    /// Records `step` as used, only if it is later than the last one; false: replayed.
    func useTOTPStep(_ holder: TwoFactorHolder, id: String, step: Int64) async throws -> Bool
    /// Marks an unused recovery code used; false when unknown or already used.
    func useRecoveryCode(_ holder: TwoFactorHolder, id: String, codeHash: Data, at now: Int64, audit: AuditEntryRecord) async throws -> Bool
    /// Recovery codes not yet used.
    func unusedRecoveryCodes(_ holder: TwoFactorHolder, id: String) async throws -> Int
    /// Turns the second factor off: the secret and every recovery code go (a user's choice, or an
    /// operator's for a user who lost both; staff cannot), with its audit row and notice mail.
    func removeTOTP(_ holder: TwoFactorHolder, id: String, audit: AuditEntryRecord, mail: MailRecord?) async throws
}

/// Where each holder's second factor is kept, the same on every engine.
extension TwoFactorHolder {
    /// The accounts table, the recovery codes table and its account column.
    package var tables: (accounts: String, codes: String, owner: String) {
        switch self {
        case .staff: ("staff_users", "staff_recovery_codes", "staff_id")
        case .user: ("users", "user_recovery_codes", "user_id")
        }
    }

    /// The sessions table and its account column.
    package var sessions: (table: String, owner: String) {
        switch self {
        case .staff: ("staff_sessions", "staff_id")
        case .user: ("dashboard_sessions", "user_id")
        }
    }
}
