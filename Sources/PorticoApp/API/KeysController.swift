import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/v1/keys`: key management for automation, always within the calling key's
/// organization and mode, and never beyond the calling key's own scopes.
///
///     GET  /v1/keys                 keys:read
///     POST /v1/keys                 keys:write  (kind, scopes, label, expires_at, allowed_ips)
///     POST /v1/keys/{id}/roll       keys:write  (overlap_seconds)
///     POST /v1/keys/{id}/revoke     keys:write
///     POST /v1/keys/verify          keys:read   (key, ip) — answers 200 whatever the verdict
struct KeysController: Sendable {
    typealias Context = PorticoRequestContext
    let keys: KeyService
    let store: any KeyStore
    let clock: any PorticoClock
    let admission: AdmissionControl
    let authenticator: KeyAuthenticator
    var defaultOverlapSeconds: Int = 24 * 3_600

    func register(_ routes: APIRoutes) {
        routes.on(.get, "keys", scope: .keysRead, query: .checkedByHandler, handler: list)
        routes.on(.post, "keys", scope: .keysWrite, handler: create)
        routes.on(.post, "keys/verify", scope: .keysRead, meter: UsageMetric.keyVerifications, handler: verify)
        routes.on(.post, "keys/:id/roll", scope: .keysWrite, handler: roll)
        routes.on(.post, "keys/:id/revoke", scope: .keysWrite, handler: revoke)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri)
        let page = try await store.apiKeys(scope: scope, page: query.page)
        let now = clock.nowMilliseconds
        return JSONCoding.response(
            ListEnvelope(data: page.items.map { APIKeyResource($0, now: now) }, hasMore: page.hasMore, url: "/v1/keys")
        )
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["kind", "scopes", "label", "expires_at", "allowed_ips"])
        let kindText = try body.string("kind", maxLength: 20).value(or: nil) ?? APIKeyKind.restricted.rawValue
        guard let kind = APIKeyKind(rawValue: kindText) else {
            throw APIError.invalid("kind", "kind must be one of secret, publishable, restricted.")
        }
        let expiresAt = try body.string("expires_at", maxLength: 40).value(or: nil).map { text -> Date in
            guard let date = RFC3339.date(text) else { throw APIError.invalid("expires_at", "expires_at must be an RFC 3339 time.") }
            return date
        }
        let newKey = NewKeyRequest(
            organizationID: caller.organizationID,
            livemode: caller.livemode,
            kind: kind,
            label: try body.string("label", maxLength: 200).value(or: nil),
            scopes: try body.strings("scopes") ?? [],
            allowedCIDRs: try body.strings("allowed_ips") ?? [],
            expiresAt: expiresAt
        )
        let stored = try await Self.keyError { try keys.storedScopes(for: newKey) }
        guard caller.scopes.covers(ScopeSet(stored: stored)) else {
            throw APIError(
                .insufficientScope,
                "A key can only create keys with scopes it holds itself; this key does not hold every scope requested.",
                param: "scopes"
            )
        }
        let actor = AuditActor(caller, context)
        return try await context.respond { completion in
            try await Self.keyError { try await keys.create(newKey, by: actor, completing: completion) }
        } render: { [now = clock.nowMilliseconds] issued in
            APIKeyResource(issued.record, now: now, secret: issued.secret)
        }
    }

    @Sendable func roll(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["overlap_seconds"])
        let overlap: Int
        switch body.fields["overlap_seconds"] {
        case nil: overlap = defaultOverlapSeconds
        case let value?:
            guard let seconds = value.integer, (0...30 * 86_400).contains(seconds) else {
                throw APIError.invalid("overlap_seconds", "overlap_seconds must be an integer from 0 to 2592000 (30 days).")
            }
            overlap = seconds
        }
        let old = try await ownKey(id, caller)
        guard caller.scopes.covers(ScopeSet(stored: old.scopes)) else {
            throw APIError(.insufficientScope, "A key can only roll keys whose scopes it holds itself.", param: "id")
        }
        let actor = AuditActor(caller, context)
        return try await context.respond { completion in
            try await Self.keyError {
                try await keys.roll(
                    id: id,
                    organizationID: caller.organizationID,
                    overlap: TimeInterval(overlap),
                    by: actor,
                    completing: completion
                )
            }
        } render: { [now = clock.nowMilliseconds] issued in
            guard let issued else { throw APIError.notFound("api_key", id: id) }
            return APIKeyResource(issued.record, now: now, secret: issued.secret)
        }
    }

    @Sendable func revoke(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["reason"])
        let reason: RevocationReason?
        switch body.fields["reason"] {
        case nil, .null?: reason = nil
        case .string(let text)?:
            guard let known = RevocationReason(rawValue: text) else { throw Self.badReason }
            reason = known
        case _?: throw Self.badReason
        }
        _ = try await ownKey(id, caller)
        let actor = AuditActor(caller, context)
        return try await context.respond { completion in
            try await keys.revoke(id: id, organizationID: caller.organizationID, reason: reason, by: actor, completing: completion)
        } render: { [now = clock.nowMilliseconds] revoked in
            guard let revoked else { throw APIError.notFound("api_key", id: id) }
            return APIKeyResource(revoked, now: now)
        }
    }

    static let badReason = APIError.invalid(
        "reason",
        "reason must be one of \(RevocationReason.allCases.map(\.rawValue).joined(separator: ", ")); leaked also mails the organization's owners."
    )

    /// Tells another service whether a key is good, without the key having to
    /// pass through Portico. Keys of other organizations or the other mode are
    /// `not_found`, exactly like unknown ones. Limits are reported, not consumed.
    @Sendable func verify(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["key", "ip"])
        guard case .set(let token) = try body.string("key", maxLength: 200) else {
            throw APIError(.parameterMissing, "key is required: the API key to verify.", param: "key")
        }
        let address = try body.string("ip", maxLength: 64).value(or: nil).map { text -> IPAddress in
            guard let address = IPAddress(text) else { throw APIError.invalid("ip", "ip must be an IPv4 or IPv6 address.") }
            return address
        }
        guard let principal = try await authenticator.principal(for: Substring(token)), principal.tenant == caller.tenant else {
            return JSONCoding.response(KeyVerification(code: "not_found"))
        }
        let now = clock.nowMilliseconds
        var verification = KeyVerification(code: "valid", principal: principal)
        let state = KeyState(revokedAt: principal.revokedAt, expiresAt: principal.expiresAt, now: now)
        if !state.isUsable {
            verification.code = state.apiStatus
        } else if let address, !principal.allows(address) {
            verification.code = "forbidden_ip"
        } else {
            var states: [LimitState] = []
            try await admission.admit(principal, consume: false, into: &states)
            verification.limits = states.map(KeyVerification.Limit.init)
            if let refused = states.first(where: \.refused) { verification.code = refused.isQuota ? "quota_exceeded" : "rate_limited" }
        }
        verification.valid = verification.code == "valid"
        return JSONCoding.response(verification)
    }

    // MARK: Helpers

    private func ownKey(_ id: String, _ caller: Principal) async throws -> APIKeyRecord {
        guard let key = try await store.apiKey(id: id, organizationId: caller.organizationID), key.livemode == caller.livemode else {
            throw APIError.notFound("api_key", id: id)
        }
        return key
    }

    /// Runs a key operation, turning its validation errors into 400 problems.
    private static func keyError<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as KeyRequestError {
            throw APIError.invalid(error.param, error.description.prefix(1).uppercased() + error.description.dropFirst() + ".")
        }
    }
}

/// A key as the API shows it. The secret appears only in the create and roll answers.
struct APIKeyResource: JSONWritable {
    var record: APIKeyRecord
    var now: Int64
    var secret: String?

    init(_ record: APIKeyRecord, now: Int64, secret: String? = nil) {
        self.record = record
        self.now = now
        self.secret = secret
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("allowed_ips", record.allowedCidrs.split(separator: " ").map(String.init))
            json.field("created_at", time: record.createdAt)
            json.field("expires_at", time: record.expiresAt)
            json.field("id", record.id)
            json.field("kind", record.kind)
            json.field("label", record.label)
            json.field("last_used_at", time: record.lastUsedAt)
            json.field("livemode", record.livemode)
            json.field("object", "api_key")
            json.field("redacted", "\(record.prefix)…\(record.last4)")
            json.field("revoked_at", time: record.revokedAt)
            json.field("rolled_to", record.rolledToId)
            json.field("scopes", ScopeSet(stored: record.scopes).listed)
            if let secret { json.field("secret", secret) }
            let state = KeyState(revokedAt: record.revokedAt, expiresAt: record.expiresAt, rolledToID: record.rolledToId, now: now)
            json.field("status", state.apiStatus)
        }
    }
}

/// The answer of `POST /v1/keys/verify`.
struct KeyVerification: JSONWritable {
    struct Limit: JSONWritable {
        var state: LimitState

        init(_ state: LimitState) {
            self.state = state
        }

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.field("limit", state.policy.quota)
                json.field("name", state.policy.name)
                json.field("remaining", state.remaining)
                json.field("reset_seconds", state.resetSeconds)
                json.field("window_seconds", state.policy.windowSeconds)
            }
        }
    }

    var valid = false
    var code: String
    var principal: Principal?
    var limits: [Limit] = []

    init(code: String, principal: Principal? = nil) {
        self.code = code
        self.principal = principal
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("code", code)
            json.field("expires_at", time: principal?.expiresAt)
            json.field("key_id", principal?.keyID)
            json.field("kind", principal?.kind.rawValue)
            json.key("limits")
            json.array(limits) { $0.value($1) }
            json.key("livemode")
            if let livemode = principal?.livemode { json.bool(livemode) } else { json.null() }
            json.field("object", "key_verification")
            json.field("organization_id", principal?.organizationID)
            json.key("scopes")
            if let scopes = principal?.scopes.listed { json.array(scopes) { $0.string($1) } } else { json.null() }
            json.field("valid", valid)
        }
    }
}

extension RequestBody {
    /// An optional array of strings (at most 100, each at most 200 characters).
    func strings(_ name: String) throws -> [String]? {
        switch fields[name] {
        case nil, .null: return nil
        case .array(let items):
            guard items.count <= 100 else { throw APIError.invalid(name, "\(name) can have at most 100 entries.") }
            return try items.map { item in
                guard case .string(let text) = item, text.count <= 200 else {
                    throw APIError.invalid(name, "\(name) must be an array of strings.")
                }
                return text
            }
        case let other?:
            throw APIError.invalid(name, "\(name) must be an array of strings, not \(other.typeName).")
        }
    }
}
