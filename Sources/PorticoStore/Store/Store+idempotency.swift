import Foundation
import GRDB

// MARK: - Idempotency keys

/// What to do with a POST that carries an `Idempotency-Key`.
package enum IdempotencyDecision: Sendable, Equatable {
    /// First sighting: the row is now `in_flight`; run the request.
    case proceed
    /// Completed earlier: send this stored response again.
    case replay(status: Int, contentType: String?, body: Data)
    /// The same key arrived with a different request.
    case mismatch
    /// The first request with this key is still running.
    case inFlight
}

extension Store {
    /// Claims an idempotency key, or reports why it cannot be claimed, in one
    /// immediate transaction so two concurrent requests never both proceed.
    /// Expired rows, and in-flight rows older than `staleBefore` (a crashed
    /// request), are taken over.
    package func beginIdempotentRequest(
        scope: TenantScope, key: String, requestHash: Data, now: Int64, expiresAt: Int64, staleBefore: Int64
    ) async throws -> IdempotencyDecision {
        try await pool.write { db in
            if let existing = try IdempotencyRecord.fetchOne(db, key: Self.idempotencyKey(scope, key)),
                existing.expiresAt > now,
                !(existing.state == "in_flight" && existing.createdAt < staleBefore)
            {
                if existing.requestHash != requestHash { return .mismatch }
                guard existing.state == "complete", let status = existing.responseStatus else { return .inFlight }
                return .replay(status: status, contentType: existing.responseContentType, body: existing.responseBody ?? Data())
            }
            let record = IdempotencyRecord(
                organizationId: scope.organizationId, livemode: scope.livemode, key: key, requestHash: requestHash,
                state: "in_flight", responseStatus: nil, responseContentType: nil, responseBody: nil,
                createdAt: now, expiresAt: expiresAt)
            try record.save(db)
            return .proceed
        }
    }

    /// Stores the response of a request that ran, for replay.
    package func completeIdempotentRequest(scope: TenantScope, key: String, status: Int, contentType: String?, body: Data) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE idempotency_keys SET state = 'complete', response_status = ?, response_content_type = ?, response_body = ?
                    WHERE organization_id = ? AND livemode = ? AND key = ?
                    """,
                arguments: [status, contentType, body, scope.organizationId, scope.livemode, key])
        }
    }

    /// Forgets a claim whose request was refused before it executed, so a corrected retry may reuse the key.
    package func releaseIdempotentRequest(scope: TenantScope, key: String) async throws {
        _ = try await pool.write { db in
            try IdempotencyRecord.deleteOne(db, key: Self.idempotencyKey(scope, key))
        }
    }

    /// Deletes expired records; returns how many.
    package func pruneIdempotencyKeys(now: Int64) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }

    /// Drops every in-flight claim. Called once at start-up: nothing can still be
    /// running after a restart, and a retry should not see 409 forever.
    package func releaseAllInFlightIdempotencyKeys() async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE state = 'in_flight'")
            return db.changesCount
        }
    }

    private static func idempotencyKey(_ scope: TenantScope, _ key: String) -> [String: any DatabaseValueConvertible] {
        ["organization_id": scope.organizationId, "livemode": scope.livemode, "key": key]
    }
}
