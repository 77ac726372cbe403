import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoStore

extension PorticoRequestContext {
    /// Runs a handler's one write and answers with the JSON of `render` applied
    /// to what the write returned.
    ///
    /// Under an `Idempotency-Key`, `render` runs inside the write's transaction
    /// and the response is stored there (see `IdempotentCompletion`), so the
    /// effect and its replayable response commit together. `render` may throw
    /// the request's error (a 404 when the write found nothing); inside the
    /// transaction that rolls the write back.
    func respond<Value: Sendable, Resource: JSONWritable & Sendable>(
        status: HTTPResponse.Status = .ok,
        _ write: (IdempotentCompletion<Value>?) async throws -> Value,
        render: @escaping @Sendable (Value) throws -> Resource
    ) async throws -> Response {
        guard let idempotency else { return JSONCoding.response(try render(try await write(nil)), status: status) }
        let value = try await write(idempotency.completion(status: Int(status.code)) { Data(JSONWriter.render(try render($0)).readableBytesView) })
        if let stored = idempotency.committed { return JSONCoding.response(body: ByteBuffer(bytes: stored.body), status: status) }
        // No transaction ran (the service refused before writing): `render` throws that refusal.
        let response = JSONCoding.response(try render(value), status: status)
        assertionFailure("a write answered \(status) without storing its idempotent response in its transaction")
        return response
    }
}
