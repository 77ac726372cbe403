import PorticoCore

/// The audit log. Entries are written by the mutating methods of the other
/// stores, in their transactions; this reads them.
package protocol AuditStore: Sendable {
    /// The organization's entries, newest first.
    func auditEntries(organizationId: String, page: PageRequest) async throws -> Page<AuditEntryRecord>
    /// Every entry about one target (a key, an endpoint…), oldest first.
    func auditEntries(targetId: String) async throws -> [AuditEntryRecord]
}
