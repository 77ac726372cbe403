import Foundation
import PorticoCore

/// A response kept for replay to retries with the same `Idempotency-Key`.
package struct IdempotentResponse: Sendable, Equatable {
    package var status: Int
    package var contentType: String?
    package var body: Data

    package init(status: Int, contentType: String?, body: Data) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// One request that carries an `Idempotency-Key`: whose it is, which key
/// (sealed, see `IdempotencySeal`), which request, and how long its response is kept.
package struct IdempotentRequest: Sendable {
    package let scope: TenantScope
    package let seal: IdempotencySeal
    package let requestHash: Data
    package let createdAt: Int64
    package let expiresAt: Int64

    package init(scope: TenantScope, key: String, requestHash: Data, createdAt: Int64, expiresAt: Int64) {
        self.scope = scope
        self.seal = IdempotencySeal(scope: scope, key: key)
        self.requestHash = requestHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Another request with the same key committed its response first; this
/// request's transaction was rolled back, so it changed nothing.
package struct IdempotencyKeyTaken: Error, Sendable {
    package init() {}
}

/// Stores an idempotent request's response in the same transaction as the
/// request's own writes.
///
/// This is what makes an `Idempotency-Key` safe under a crash: there is no
/// moment at which the request's effects are committed but its response is
/// not, so a retry either finds the response (and replays it) or finds
/// nothing because nothing happened (and runs). A store write method that a
/// POST handler calls takes an optional completion and hands it the value
/// its transaction produced; `render` turns that value into the response,
/// and throwing from it rolls the whole transaction back.
package struct IdempotentCompletion<Value: Sendable>: Sendable {
    package let request: IdempotentRequest
    private let render: @Sendable (Value) throws -> IdempotentResponse
    private let committed: @Sendable (IdempotentResponse) -> Void

    /// `committed` is told the stored response once the transaction has committed.
    package init(
        request: IdempotentRequest,
        render: @escaping @Sendable (Value) throws -> IdempotentResponse,
        committed: @escaping @Sendable (IdempotentResponse) -> Void
    ) {
        self.request = request
        self.render = render
        self.committed = committed
    }

    /// The same completion for a layer whose result is made from this one's
    /// (a service that returns more than the store's write does).
    /// `transform` may throw the request's error, rolling the transaction back.
    package func pullback<Other: Sendable>(_ transform: @escaping @Sendable (Other) throws -> Value) -> IdempotentCompletion<Other> {
        IdempotentCompletion<Other>(request: request, render: { [render] in try render(transform($0)) }, committed: committed)
    }

    /// The response to store for the value the request's transaction produced;
    /// throwing rolls the transaction back.
    package func response(for value: Value) throws -> IdempotentResponse { try render(value) }

    /// Tells the request its response is stored, once the transaction has committed.
    package func didCommit(_ response: IdempotentResponse) { committed(response) }
}
