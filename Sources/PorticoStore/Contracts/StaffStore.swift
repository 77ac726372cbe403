import Foundation
import PorticoCore

/// Staff accounts of the operator console and their sessions (their second
/// factor is `TwoFactorStore`'s). Every change a person makes writes its
/// audit entry in the same transaction.
package protocol StaffStore: Sendable {
    /// A duplicate email is `StoreError.conflict`.
    func createStaff(_ staff: StaffRecord, audit: AuditEntryRecord) async throws
    func staff(email: String) async throws -> StaffRecord?
    func staff(id: String) async throws -> StaffRecord?
    /// Everyone, oldest first.
    func allStaff() async throws -> [StaffRecord]
    /// Disables the account and ends its sessions; false when there is no such account.
    func disableStaff(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> Bool

    func insertStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord) async throws
    /// The session and its account, in one read.
    func staffSession(idHash: Data) async throws -> (StaffSessionRecord, StaffRecord)?
    func saveStaffSession(_ session: StaffSessionRecord, audit: AuditEntryRecord?) async throws
    func deleteStaffSession(idHash: Data, audit: AuditEntryRecord?) async throws
}
