import Foundation
import PorticoCore

/// Staff accounts of the operator console, their second factor and their
/// sessions. Every change a person makes writes its audit entry in the same
/// transaction; the one-time checks (a TOTP step, a recovery code) are
/// compare-and-set, so two requests racing with the same code cannot both win.
package protocol StaffStore: Sendable {
    /// A duplicate email is `StoreError.conflict`.
    func createStaff(_ staff: StaffRecord, audit: AuditEntryRecord) async throws
    func staff(email: String) async throws -> StaffRecord?
    func staff(id: String) async throws -> StaffRecord?
    /// Everyone, oldest first.
    func allStaff() async throws -> [StaffRecord]
    /// Disables the account and ends its sessions; false when there is no such account.
    func disableStaff(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> Bool

    /// Keeps a new sealed secret for an account not yet enrolled (a pending enrollment).
    func setPendingTOTPSecret(staffId: String, sealedSecret: String) async throws
    /// Enrolls: the secret is in use from `step` on, with these recovery codes (their hashes);
    /// false when the account was already enrolled.
    func enrollTOTP(staffId: String, step: Int64, recoveryCodeHashes: [Data], at now: Int64, audit: AuditEntryRecord) async throws -> Bool
    /// Records `step` as used, only if it is later than the last one; false: replayed.
    func useTOTPStep(staffId: String, step: Int64) async throws -> Bool
    /// Marks an unused recovery code used; false when unknown or already used.
    func useRecoveryCode(staffId: String, codeHash: Data, at now: Int64, audit: AuditEntryRecord) async throws -> Bool
    /// Recovery codes not yet used.
    func unusedRecoveryCodes(staffId: String) async throws -> Int

    func insertStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord) async throws
    /// The session and its account, in one read.
    func staffSession(idHash: Data) async throws -> (StaffSessionRecord, StaffRecord)?
    func saveStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord?) async throws
    func deleteStaffSession(idHash: Data, audit: AuditEntryRecord?) async throws
}
