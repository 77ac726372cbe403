import Foundation
import GRDB

/// A row of `idempotency_responses`: the response of one POST that ran, for
/// replay to a retry with the same `Idempotency-Key`. Written in the same
/// transaction as the request's own effects (see `IdempotentCompletion`), so
/// a row exists exactly when the effects committed. Neither the key nor the
/// body is stored in the clear (see `IdempotencySeal`).
package struct IdempotencyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "idempotency_responses"

    package var organizationId: String
    package var livemode: Bool
    package var keyHash: Data
    /// SHA-256 over method, path and body: a different request under the same key is refused.
    package var requestHash: Data
    package var responseStatus: Int
    package var responseContentType: String?
    /// AES-GCM sealed under a key derived from the `Idempotency-Key`.
    package var responseSealed: Data
    package var createdAt: Int64
    package var expiresAt: Int64

    package init(
        organizationId: String,
        livemode: Bool,
        keyHash: Data,
        requestHash: Data,
        responseStatus: Int,
        responseContentType: String?,
        responseSealed: Data,
        createdAt: Int64,
        expiresAt: Int64
    ) {
        self.organizationId = organizationId
        self.livemode = livemode
        self.keyHash = keyHash
        self.requestHash = requestHash
        self.responseStatus = responseStatus
        self.responseContentType = responseContentType
        self.responseSealed = responseSealed
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case organizationId = "organization_id"
        case livemode
        case keyHash = "key_hash"
        case requestHash = "request_hash"
        case responseStatus = "response_status"
        case responseContentType = "response_content_type"
        case responseSealed = "response_sealed"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }
}
