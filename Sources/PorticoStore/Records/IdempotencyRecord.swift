import Foundation
import GRDB

/// A row of `idempotency_keys`: one POST's identity and, once it finished, its response.
package struct IdempotencyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "idempotency_keys"

    package var organizationId: String
    package var livemode: Bool
    package var key: String
    /// SHA-256 over method, path and body: a different request under the same key is refused.
    package var requestHash: Data
    /// `in_flight` or `complete`.
    package var state: String
    package var responseStatus: Int?
    package var responseContentType: String?
    package var responseBody: Data?
    package var createdAt: Int64
    package var expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case organizationId = "organization_id"
        case livemode, key
        case requestHash = "request_hash"
        case state
        case responseStatus = "response_status"
        case responseContentType = "response_content_type"
        case responseBody = "response_body"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }
}
