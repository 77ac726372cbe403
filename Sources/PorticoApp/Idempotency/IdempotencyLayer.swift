import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore
import PorticoStore

/// Makes POSTs with an `Idempotency-Key` safe to retry, crash or not.
///
/// A request's response is stored in the same transaction as its own writes
/// (`IdempotentCompletion`, via `PorticoRequestContext.respond`), so a stored
/// response exists exactly when the request's effects committed:
///
/// - a stored response for the key: replay it (or 422 for another request);
/// - none: nothing committed under this key, even if an earlier attempt
///   crashed or answered 5xx after its work failed, so the request runs;
/// - the key claimed by a request still running in this process: 409.
///
/// A response that failed (4xx, 5xx) is not stored, since its transaction
/// rolled back: a corrected retry may reuse the key. An error raised after
/// the commit (a fault, a lost connection) does not undo the stored
/// response: the retry replays it and never runs the work twice.
struct IdempotencyLayer: RouteLayer {
    static let maxKeyLength = 255

    let store: any IdempotencyStore
    let clock: any PorticoClock
    let ttl: TimeInterval
    let claims: IdempotencyClaims
    let faults: FaultInjection

    /// Only POSTs take an `Idempotency-Key` (the others are idempotent by nature).
    func applies(to route: RouteSpec) -> Bool { route.method == .post }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        guard let header = request.headers[.idempotencyKey] else {
            return try await next(request, context)
        }
        let key = try Self.parseKey(header)
        let scope = try context.requirePrincipal().tenant
        var request = request
        let body = try await RequestBody.collect(&request, context: context)
        let now = clock.nowMilliseconds
        let identity = IdempotentRequest(
            scope: scope,
            key: key,
            requestHash: Self.fingerprint(request, body: body),
            createdAt: now,
            expiresAt: now + Int64(ttl * 1_000)
        )

        if let stored = try await storedResponse(identity) { return stored }
        guard claims.claim(identity.seal.lookupHash) else { throw Self.inProgress }
        defer { claims.release(identity.seal.lookupHash) }
        // Looked up again under the claim: a request with this key may have finished in between.
        if let stored = try await storedResponse(identity) { return stored }

        let slot = IdempotencySlot(request: identity, faults: faults)
        var context = context
        context.idempotency = slot
        var response: Response
        do {
            response = try await next(request, context)
        } catch is IdempotencyKeyTaken {
            // Another process stored a response for this key first; this request's transaction rolled back.
            guard let stored = try await storedResponse(identity) else { throw Self.inProgress }
            return stored
        }
        if slot.committed != nil {
            try faults.check(.afterCommit)
            return response
        }
        guard (200..<300).contains(response.status.code) else { return response }
        // A gateway response too large to hold (or of unknown length) streams through unstored:
        // a retry reaches the upstream again, with the same Idempotency-Key for it to recognise.
        if !context.facts.mayHold(response.headers) { return response }
        // A request that wrote nothing (a key verification, the sandbox clock) is stored on its own.
        let bytes = try await response.collectBody()
        let stored = IdempotentResponse(status: Int(response.status.code), contentType: response.headers[.contentType], body: Data(buffer: bytes))
        do {
            try await store.saveIdempotentResponse(stored, for: identity)
        } catch is IdempotencyKeyTaken {}
        return response
    }

    /// The stored response for this key, replayed; 422 when it was stored for another request.
    private func storedResponse(_ identity: IdempotentRequest) async throws -> Response? {
        guard let (requestHash, stored) = try await store.idempotentResponse(for: identity, now: clock.nowMilliseconds) else { return nil }
        guard requestHash == identity.requestHash else {
            throw APIError(
                .idempotencyKeyReused,
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Use a new key for a new request."
            )
        }
        var headers: HTTPFields = [.idempotentReplayed: "true"]
        headers[.contentType] = stored.contentType
        return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
    }

    static let inProgress = APIError(
        .idempotencyRequestInProgress,
        "A request with this idempotency key is still being processed; retry shortly."
    )

    /// Accepts a bare token or an RFC 8941 quoted string (`"abc"`), 1–255 characters.
    static func parseKey(_ header: String) throws -> String {
        var key = header.trimmingCharacters(in: .whitespaces)
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") {
            key = String(key.dropFirst().dropLast())
            guard !key.contains("\""), !key.contains("\\") else {
                throw APIError(.idempotencyKeyInvalid, "The Idempotency-Key header is not a valid quoted string.")
            }
        }
        guard !key.isEmpty else {
            throw APIError(.idempotencyKeyInvalid, "The Idempotency-Key header must not be empty.")
        }
        guard key.count <= maxKeyLength else {
            throw APIError(.idempotencyKeyInvalid, "The Idempotency-Key header must be at most \(maxKeyLength) characters; got \(key.count).")
        }
        guard key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw APIError(.idempotencyKeyInvalid, "The Idempotency-Key header must be printable ASCII.")
        }
        return key
    }

    /// Identifies "the same request": method, path with query, and body bytes.
    static func fingerprint(_ request: Request, body: ByteBuffer) -> Data {
        var hasher = SHA256()
        hasher.update(data: Data("\(request.method.rawValue) \(request.uri.path)?\(request.uri.query ?? "")\n".utf8))
        body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return Data(hasher.finalize())
    }
}
