import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoStore

/// Makes POSTs with an `Idempotency-Key` safe to retry.
///
/// The key is claimed (scoped to organization, mode and key) before the
/// handler runs. A handler that returns normally has its response stored and
/// replayed byte-identical to later requests with the same key and body. A
/// request that fails (validation, conflict, or a 500) changed nothing, since
/// every handler is one transaction, so its claim is released and a corrected
/// retry may reuse the key.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    static let maxKeyLength = 255
    /// An in-flight claim older than this belongs to a request that died; it may be taken over.
    static let staleAfterMilliseconds: Int64 = 5 * 60 * 1_000

    let store: Store
    let clock: any PorticoClock
    let ttl: TimeInterval

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let header = request.headers[.idempotencyKey] else {
            return try await next(request, context)
        }
        let key = try Self.parseKey(header)
        let scope = try context.requirePrincipal().tenant
        var request = request
        let body = try await RequestBody.collect(&request, context: context)
        let now = clock.nowMilliseconds
        let decision = try await store.beginIdempotentRequest(
            scope: scope, key: key, requestHash: Self.fingerprint(request, body: body), now: now,
            expiresAt: now + Int64(ttl * 1_000), staleBefore: now - Self.staleAfterMilliseconds)

        switch decision {
        case .mismatch:
            throw APIError(
                .idempotencyKeyReused,
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Use a new key for a new request.")
        case .inFlight:
            throw APIError(.idempotencyRequestInProgress, "A request with this idempotency key is still being processed; retry shortly.")
        case .replay(let status, let contentType, let body):
            var headers: HTTPFields = [.idempotentReplayed: "true"]
            headers[.contentType] = contentType
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .proceed:
            var response: Response
            do {
                response = try await next(request, context)
            } catch {
                try? await store.releaseIdempotentRequest(scope: scope, key: key)
                throw error
            }
            guard (200..<300).contains(response.status.code) else {
                try? await store.releaseIdempotentRequest(scope: scope, key: key)
                return response
            }
            let stored = try await response.collectBody()
            try await store.completeIdempotentRequest(
                scope: scope, key: key, status: response.status.code, contentType: response.headers[.contentType],
                body: Data(buffer: stored))
            return response
        }
    }

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
