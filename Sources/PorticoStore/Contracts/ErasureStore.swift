import PorticoCore

/// Whose personal data an erasure removes (`portico erase`).
package enum ErasureSubject: Sendable, Equatable {
    /// One customer: its row, and every copy of its id and email elsewhere.
    case customer(id: String)
    /// Everything about an address: customers with it in any organization, a
    /// dashboard account with it, invitations and mail to it, and every mention.
    case email(String)
    /// An organization and all its data, request logs included.
    case organization(id: String)
}

/// What an erasure found and removed, by where it lived (row counts).
package struct ErasureReport: Sendable, Equatable {
    package var removed: [String: Int] = [:]
    /// Whether the write-ahead log, which still held the old pages, was emptied. It is
    /// not when another connection was reading at that moment (a server left running);
    /// the next checkpoint with no reader empties it.
    package var walEmptied = false

    package init(removed: [String: Int] = [:]) {
        self.removed = removed
    }
}

/// Erasure of personal data (`portico erase`): rows deleted, copies blanked
/// wherever they live, deleted content overwritten, stale copies left in free
/// space by earlier writes removed (SQLite: `secure_delete`, then `VACUUM`)
/// and the write-ahead log emptied, so the erased values are in neither the
/// database file, its WAL, nor any backup taken afterwards.
package protocol ErasureStore: Sendable {
    /// Erases `subject` and writes `audit` (which must not hold the erased values) in
    /// the same transaction. Throws `StoreError.notFound` for an organization that does
    /// not exist, and `StoreError.conflict` when an address is the last owner of an organization.
    func erase(_ subject: ErasureSubject, audit: AuditEntryRecord) async throws -> ErasureReport
}
