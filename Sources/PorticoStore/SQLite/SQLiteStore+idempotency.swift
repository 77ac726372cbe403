import Foundation
import GRDB

// MARK: - Idempotency keys

extension SQLiteStore {
    /// The response stored for this request's key, if one is live: the
    /// request hash it was stored under and the response, unsealed.
    package func idempotentResponse(
        for request: IdempotentRequest,
        now: Int64
    ) async throws -> (requestHash: Data, response: IdempotentResponse)? {
        let record = try await read { db in
            try IdempotencyRecord
                .filter(
                    Column("organization_id") == request.scope.organizationId && Column("livemode") == request.scope.livemode
                        && Column("key_hash") == request.seal.lookupHash && Column("expires_at") > now
                )
                .fetchOne(db)
        }
        guard let record else { return nil }
        let body = try request.seal.open(record.responseSealed)
        return (record.requestHash, IdempotentResponse(status: record.responseStatus, contentType: record.responseContentType, body: body))
    }

    /// Stores the response of a request that wrote nothing (a verification, say) in its own transaction.
    package func saveIdempotentResponse(_ response: IdempotentResponse, for request: IdempotentRequest) async throws {
        try await writeTransaction { db in try Self.insertIdempotentResponse(response, for: request, in: db) }
    }

    /// Inserts the sealed response, taking over an expired row for the same
    /// key; throws `IdempotencyKeyTaken` (rolling the caller's transaction
    /// back) when a live row exists: another request with this key won.
    static func insertIdempotentResponse(_ response: IdempotentResponse, for request: IdempotentRequest, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO idempotency_responses
                    (organization_id, livemode, key_hash, request_hash, response_status, response_content_type, response_sealed, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (organization_id, livemode, key_hash) DO UPDATE SET
                    request_hash = excluded.request_hash, response_status = excluded.response_status,
                    response_content_type = excluded.response_content_type, response_sealed = excluded.response_sealed,
                    created_at = excluded.created_at, expires_at = excluded.expires_at
                WHERE idempotency_responses.expires_at <= excluded.created_at
                """,
            arguments: [
                request.scope.organizationId, request.scope.livemode, request.seal.lookupHash, request.requestHash, response.status,
                response.contentType, try request.seal.seal(response.body), request.createdAt, request.expiresAt,
            ]
        )
        guard db.changesCount == 1 else { throw IdempotencyKeyTaken() }
    }

    /// Deletes expired records; returns how many.
    package func pruneIdempotencyKeys(now: Int64) async throws -> Int {
        try await deleteInBatches(
            from: "idempotency_responses",
            key: "organization_id, livemode, key_hash",
            where: "expires_at <= ?",
            [now.databaseValue]
        )
    }
}
