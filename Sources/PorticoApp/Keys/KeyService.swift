import Crypto
import Foundation
import PorticoCore
import PorticoStore

/// What to create: everything about a key except its secret.
public struct NewKeyRequest: Sendable {
    public var organizationID: String
    public var livemode: Bool
    public var kind: APIKeyKind
    public var label: String?
    /// Only for restricted keys; secret keys hold every scope and publishable keys the read-only defaults.
    public var scopes: [String]
    public var allowedCIDRs: [String]
    public var expiresAt: Date?

    public init(
        organizationID: String,
        livemode: Bool,
        kind: APIKeyKind,
        label: String? = nil,
        scopes: [String] = [],
        allowedCIDRs: [String] = [],
        expiresAt: Date? = nil
    ) {
        self.organizationID = organizationID
        self.livemode = livemode
        self.kind = kind
        self.label = label
        self.scopes = scopes
        self.allowedCIDRs = allowedCIDRs
        self.expiresAt = expiresAt
    }
}

/// A key as shown once at creation: the stored row plus the full secret.
public struct IssuedKey: Sendable {
    package let record: APIKeyRecord
    public let secret: String

    public var id: String { record.id }
}

/// Why a key request was refused; the message names the offending value.
public struct KeyRequestError: Error, CustomStringConvertible, Equatable {
    public var param: String
    public var description: String
}

/// Creates, rolls and revokes keys, each with its audit row in the same
/// transaction, and tells the authenticator so a change applies to the very
/// next request.
public struct KeyService: Sendable {
    let store: any KeyStore & AccountStore
    let clock: any PorticoClock
    let authenticator: KeyAuthenticator?
    /// The scopes keys may hold now: Portico's and the gateway's custom ones (reloadable, so read per call).
    var catalogue: @Sendable () -> ScopeCatalogue = { .builtIn }
    /// Words the leaked-key notice; nil where no mail is sent.
    var alerts: AlertMails? = nil

    public func create(_ request: NewKeyRequest, by actor: AuditActor) async throws -> IssuedKey {
        try await create(request, by: actor, completing: nil)
    }

    /// Creates a key; `completion` stores an idempotent response in the same transaction.
    func create(_ request: NewKeyRequest, by actor: AuditActor, completing completion: IdempotentCompletion<IssuedKey>?) async throws -> IssuedKey {
        let now = clock.nowMilliseconds
        let scopes = try storedScopes(for: request)
        let cidrs = try request.allowedCIDRs.map { text -> String in
            guard let cidr = CIDR(text) else {
                throw KeyRequestError(param: "allowed_ips", description: "'\(text)' is not an IPv4 or IPv6 address or CIDR block")
            }
            return cidr.description
        }
        if let expiresAt = request.expiresAt, expiresAt.milliseconds <= now {
            throw KeyRequestError(param: "expires_at", description: "expires_at must be in the future")
        }
        guard try await store.organization(id: request.organizationID) != nil else {
            throw KeyRequestError(param: "organization", description: "no organization \(request.organizationID)")
        }
        let issued = Self.issue(request, scopes: scopes, cidrs: cidrs, at: now)
        let audit = actor.entry(
            "api_key.created",
            organizationID: request.organizationID,
            targetType: "api_key",
            targetID: issued.record.id,
            details: ["kind": request.kind.rawValue, "mode": request.livemode ? "live" : "test", "scopes": scopes],
            at: now
        )
        try await store.insertAPIKey(issued.record, audit: audit, completing: completion?.pullback { _ in issued })
        authenticator?.invalidate()
        return issued
    }

    /// Replaces a key with a new secret; the old one keeps working for `overlap`.
    public func roll(id: String, organizationID: String, overlap: TimeInterval, by actor: AuditActor) async throws -> IssuedKey? {
        try await roll(id: id, organizationID: organizationID, overlap: overlap, by: actor, completing: nil)
    }

    func roll(
        id: String,
        organizationID: String,
        overlap: TimeInterval,
        by actor: AuditActor,
        completing completion: IdempotentCompletion<IssuedKey?>?
    ) async throws -> IssuedKey? {
        let now = clock.nowMilliseconds
        guard let old = try await store.apiKey(id: id, organizationId: organizationID) else { return nil }
        if KeyState(revokedAt: nil, expiresAt: old.expiresAt, now: now) == .expired {
            throw KeyRequestError(param: "id", description: "key \(id) has expired; create a new key instead of rolling it")
        }
        let request = NewKeyRequest(
            organizationID: organizationID,
            livemode: old.livemode,
            kind: APIKeyKind(rawValue: old.kind) ?? .restricted,
            label: old.label,
            expiresAt: old.expiresAt.map { Date(milliseconds: $0) }
        )
        let issued = Self.issue(request, scopes: old.scopes, cidrs: old.allowedCidrs.split(separator: " ").map(String.init), at: now)
        let oldExpiresAt = now + Int64(max(0, overlap) * 1_000)
        let audit = actor.entry(
            "api_key.rolled",
            organizationID: organizationID,
            targetType: "api_key",
            targetID: id,
            details: ["replacement": issued.record.id, "old_expires_at": RFC3339.string(milliseconds: oldExpiresAt)],
            at: now
        )
        guard
            try await store.rollAPIKey(
                id: id,
                organizationId: organizationID,
                replacement: issued.record,
                oldExpiresAt: oldExpiresAt,
                audit: audit,
                completing: completion?.pullback { old in old.map { _ in issued } }
            ) != nil
        else { return nil }
        authenticator?.invalidate()
        return issued
    }

    @discardableResult
    package func revoke(
        id: String,
        organizationID: String,
        reason: RevocationReason? = nil,
        by actor: AuditActor,
        completing completion: IdempotentCompletion<APIKeyRecord?>? = nil
    ) async throws -> APIKeyRecord? {
        let now = clock.nowMilliseconds
        let details = reason.map { ["reason": $0.rawValue] } ?? [:]
        let audit = actor.entry("api_key.revoked", organizationID: organizationID, targetType: "api_key", targetID: id, details: details, at: now)
        let mail = reason == .leaked ? try await leakNotices(keyID: id, organizationID: organizationID, by: actor, at: now) : []
        let key = try await store.revokeAPIKey(id: id, organizationId: organizationID, at: now, audit: audit, mail: mail, completing: completion)
        authenticator?.invalidate()
        return key
    }

    /// The mails telling each owner (confirmed address) that a key was revoked as leaked;
    /// the store writes them only if this call is the one that revokes it.
    private func leakNotices(keyID: String, organizationID: String, by actor: AuditActor, at now: Int64) async throws -> [MailRecord] {
        guard let alerts, let key = try await store.apiKey(id: keyID, organizationId: organizationID), key.revokedAt == nil,
            let organization = try await store.organization(id: organizationID)
        else { return [] }
        let owners = try await store.members(organizationId: organizationID).filter {
            $0.membership.role == "owner" && $0.user.emailVerifiedAt != nil
        }
        // Owners know their colleagues by address, not by user id.
        var who = [actor.type.replacingOccurrences(of: "_", with: " "), actor.id].compactMap { $0 }.joined(separator: " ")
        if actor.type == "user", let id = actor.id, let user = try await store.user(id: id) { who = user.email }
        return alerts.leakedKey(key, organization: organization, revokedBy: who, to: owners.map(\.user.email), at: now)
    }

    // MARK: Helpers

    /// The scopes stored for a new key: every scope for a secret key, the
    /// requested ones (each known to the catalogue) for the others.
    func storedScopes(for request: NewKeyRequest) throws -> String {
        switch request.kind {
        case .secret:
            return Scope.wildcard
        case .publishable:
            if let bad = request.scopes.first(where: { !Scope.isReadOnly($0) }) {
                throw KeyRequestError(param: "scopes", description: "publishable keys are read-only; '\(bad)' is not a read scope")
            }
            try requireKnown(request.scopes)
            return (request.scopes.isEmpty ? ScopeCatalogue.publishableDefaults.map(\.name) : request.scopes).joined(separator: " ")
        case .restricted:
            guard !request.scopes.isEmpty else {
                throw KeyRequestError(param: "scopes", description: "a restricted key needs at least one scope")
            }
            try requireKnown(request.scopes)
            return Array(Set(request.scopes)).sorted().joined(separator: " ")
        }
    }

    private func requireKnown(_ names: [String]) throws {
        let catalogue = catalogue()
        if let unknown = names.first(where: { name in !(Scope(name).map(catalogue.contains) ?? false) }) {
            let known = catalogue.scopes.map(\.name).joined(separator: ", ")
            throw KeyRequestError(param: "scopes", description: "unknown scope '\(unknown)'; known scopes: \(known)")
        }
    }

    private static func issue(_ request: NewKeyRequest, scopes: String, cidrs: [String], at now: Int64) -> IssuedKey {
        let key = APIKeyFormat.generate(kind: request.kind, livemode: request.livemode)
        let record = APIKeyRecord(
            id: Identifier.make("key", at: now),
            organizationId: request.organizationID,
            livemode: request.livemode,
            kind: request.kind.rawValue,
            label: request.label,
            secretHash: Data(SHA256.hash(data: Data(key.token.utf8))),
            prefix: key.prefix,
            last4: key.last4,
            scopes: scopes,
            allowedCidrs: cidrs.joined(separator: " "),
            expiresAt: request.expiresAt?.milliseconds,
            createdAt: now,
            updatedAt: now
        )
        return IssuedKey(record: record, secret: key.token)
    }
}
