import Foundation
import PorticoCore

/// Dashboard sessions, kept by the hash of their cookie.
package protocol SessionStore: Sendable {
    func insertSession(_ session: DashboardSessionRecord, audit: AuditEntryRecord) async throws
    /// The session, its user and the user's organizations, in one read.
    func session(idHash: Data) async throws -> (DashboardSessionRecord, UserRecord, [UserOrganization])?
    /// Saves the session's changes, with `audit` when a person's act changed it (passing the second factor).
    func saveSession(_ session: DashboardSessionRecord, audit: AuditEntryRecord?) async throws
    func deleteSession(idHash: Data, audit: AuditEntryRecord?) async throws
    /// Deletes sessions idle since before `idleBefore` or created before `createdBefore`; returns how many.
    func pruneSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int
}
