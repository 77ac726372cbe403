import Foundation
import PorticoCore

/// Responses kept for `Idempotency-Key` replays. A request's own writes store
/// theirs through the `IdempotentCompletion` each writing method takes.
package protocol IdempotencyStore: Sendable {
    /// The live (unexpired at `now`) response stored for this request's key, and the hash of the request that stored it.
    func idempotentResponse(for request: IdempotentRequest, now: Int64) async throws -> (requestHash: Data, response: IdempotentResponse)?
    /// Stores the response of a request that wrote nothing else; `IdempotencyKeyTaken` when a live one exists.
    func saveIdempotentResponse(_ response: IdempotentResponse, for request: IdempotentRequest) async throws
    /// Deletes responses expired at `now`; returns how many.
    func pruneIdempotencyKeys(now: Int64) async throws -> Int
}
