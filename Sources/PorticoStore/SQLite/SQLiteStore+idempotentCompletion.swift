import GRDB
import PorticoCore

extension IdempotentCompletion {
    /// Renders and stores the response inside the caller's transaction.
    func complete(_ value: Value, in db: Database) throws {
        let response = try response(for: value)
        try SQLiteStore.insertIdempotentResponse(response, for: request, in: db)
        db.afterNextTransaction { _ in didCommit(response) }
    }
}

extension SQLiteStore {
    /// One write transaction; with a completion, the request's response is
    /// stored in it too (see `IdempotentCompletion`).
    func write<T: Sendable>(
        completing completion: IdempotentCompletion<T>?,
        _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await writeTransaction { db in
            let value = try work(db)
            try completion?.complete(value, in: db)
            return value
        }
    }
}
