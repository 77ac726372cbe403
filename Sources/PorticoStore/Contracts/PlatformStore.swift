import Foundation
import PorticoCore

/// Platform keys and the usage their holders record.
package protocol PlatformStore: Sendable {
    func insertPlatformKey(_ key: PlatformKeyRecord, audit: AuditEntryRecord) async throws
    /// Authentication's lookup, whatever the key's state (the caller judges it).
    func platformKey(secretHash hash: Data) async throws -> PlatformKeyRecord?
    /// Every platform key, newest first.
    func platformKeys() async throws -> [PlatformKeyRecord]
    /// Revokes once; nil when no such key exists.
    func revokePlatformKey(id: String, at now: Int64, audit: AuditEntryRecord) async throws -> PlatformKeyRecord?
    /// Records usage once per (tenant, `idempotency_key`), adding it to the
    /// hourly usage in the same transaction, with `audit`. A repeat adds
    /// nothing and returns the first record with `created` false.
    func recordUsage(
        _ record: UsageRecord,
        audit: AuditEntryRecord,
        completing completion: IdempotentCompletion<UsageRecord>?
    ) async throws -> (record: UsageRecord, created: Bool)
}
