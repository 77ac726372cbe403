import Foundation
import PorticoCore
import PorticoStore
import PostgresNIO

extension IdempotencyRecord: StoredRecord { static let table = "idempotency_responses" }

// MARK: - Idempotency keys

extension PostgresStore {
    package func idempotentResponse(for request: IdempotentRequest, now: Int64) async throws -> (requestHash: Data, response: IdempotentResponse)? {
        let record = try await read { connection in
            try await connection.one(
                IdempotencyRecord.self,
                """
                SELECT * FROM idempotency_responses WHERE organization_id = \(request.scope.organizationId)
                AND livemode = \(request.scope.livemode) AND key_hash = \(request.seal.lookupHash) AND expires_at > \(now)
                """,
                logger: logger
            )
        }
        guard let record else { return nil }
        let body = try request.seal.open(record.responseSealed)
        return (record.requestHash, IdempotentResponse(status: record.responseStatus, contentType: record.responseContentType, body: body))
    }

    package func saveIdempotentResponse(_ response: IdempotentResponse, for request: IdempotentRequest) async throws {
        try await write { connection in try await Self.insertIdempotentResponse(response, for: request, connection, logger) }
    }

    /// Inserts the sealed response, taking over an expired row for the same key; throws
    /// `IdempotencyKeyTaken` (rolling the caller's transaction back) when a live row exists.
    /// Across instances the unique key decides: a second transaction with the same key waits
    /// on the first's row and, once that commits, finds it live and gives up.
    static func insertIdempotentResponse(
        _ response: IdempotentResponse,
        for request: IdempotentRequest,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        let record = IdempotencyRecord(
            organizationId: request.scope.organizationId,
            livemode: request.scope.livemode,
            keyHash: request.seal.lookupHash,
            requestHash: request.requestHash,
            responseStatus: response.status,
            responseContentType: response.contentType,
            responseSealed: try request.seal.seal(response.body),
            createdAt: request.createdAt,
            expiresAt: request.expiresAt
        )
        let stored = try await connection.insert(
            record,
            suffix: """
                ON CONFLICT (organization_id, livemode, key_hash) DO UPDATE SET
                    request_hash = excluded.request_hash, response_status = excluded.response_status,
                    response_content_type = excluded.response_content_type, response_sealed = excluded.response_sealed,
                    created_at = excluded.created_at, expires_at = excluded.expires_at
                WHERE idempotency_responses.expires_at <= excluded.created_at
                """,
            logger: logger
        )
        guard stored == 1 else { throw IdempotencyKeyTaken() }
    }

    package func pruneIdempotencyKeys(now: Int64) async throws -> Int {
        try await deleteInBatches(
            from: "idempotency_responses",
            key: "organization_id, livemode, key_hash",
            where: "expires_at <= $1",
            Self.bindings(now)
        )
    }

    /// One write transaction; with a completion, the request's response is stored in it too
    /// (see `IdempotentCompletion`), and the completion is told once the transaction committed.
    func write<T: Sendable>(
        completing completion: IdempotentCompletion<T>?,
        _ work: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let (value, response) = try await write { connection -> (T, IdempotentResponse?) in
            let value = try await work(connection)
            guard let completion else { return (value, nil) }
            let response = try completion.response(for: value)
            try await Self.insertIdempotentResponse(response, for: completion.request, connection, logger)
            return (value, response)
        }
        if let completion, let response { completion.didCommit(response) }
        return value
    }
}
