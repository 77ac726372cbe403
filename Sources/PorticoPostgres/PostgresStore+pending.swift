import Foundation
import PorticoCore
import PorticoStore

/// The contracts not yet written for PostgreSQL (issue 22 is under way): each
/// throws, and `database.url = postgres://…` refuses to start while any is
/// left. The contract suite runs the finished aggregates on both engines.
struct PostgresPending: Error, CustomStringConvertible {
    let function: String
    var description: String { "\(function) is not yet implemented on PostgreSQL" }
}

// MARK: ErasureStore (not yet on PostgreSQL)

extension PostgresStore {
    package func erase(_ subject: ErasureSubject, audit: AuditEntryRecord) async throws -> ErasureReport {
        throw PostgresPending(function: #function)
    }

}

// MARK: RetentionStore (not yet on PostgreSQL)

extension PostgresStore {
    package func pruneDeliveries(finishedBefore cutoff: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneAuditEntries(before cutoff: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneMail(before cutoff: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneStaffSessions(idleBefore: Int64, createdBefore: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

    package func pruneExpiredLinks(now: Int64) async throws -> Int {
        throw PostgresPending(function: #function)
    }

}

// MARK: SampleDataStore (not yet on PostgreSQL)

extension PostgresStore {
    package func insertSampleHistory(_ history: SampleHistory) async throws {
        throw PostgresPending(function: #function)
    }

}

