import Foundation
import PorticoCore

@testable import PorticoStore

/// Builders for the account, key, customer, session and idempotency
/// contracts: records shaped as the app makes them, and the few writes
/// (with their audit entries) most tests start from.
extension Fixtures {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// A stand-in for a SHA-256 (of a key's secret, an invitation token, a session cookie): 32 random bytes.
    static func secretHash() -> Data {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    /// Whether `error` is `StoreError.conflict`.
    static func isConflict(_ error: (any Error)?) -> Bool {
        guard let error = error as? StoreError, case .conflict = error else { return false }
        return true
    }

    // MARK: Accounts

    static func user(_ email: String, name: String? = nil, at time: Int64 = now) -> UserRecord {
        UserRecord(
            id: Identifier.make("usr", at: time),
            email: email,
            name: name,
            passwordHash: "$scrypt$ln=14,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            createdAt: time,
            emailVerifiedAt: time
        )
    }

    /// `user`'s membership of `organization`, since the user was created unless `time` says otherwise.
    static func membership(
        _ user: UserRecord,
        in organization: OrganizationRecord,
        role: String = "owner",
        at time: Int64? = nil
    ) -> MembershipRecord {
        MembershipRecord(organizationId: organization.id, userId: user.id, role: role, createdAt: time ?? user.createdAt)
    }

    /// An invitation to `organization` (its token hash random), pending for `lifetime` from `time`.
    static func invitation(
        to organization: OrganizationRecord,
        email: String,
        role: String = "developer",
        invitedBy inviter: UserRecord? = nil,
        at time: Int64 = now,
        lifetime: Int64 = day
    ) -> InvitationRecord {
        InvitationRecord(
            id: Identifier.make("inv", at: time),
            tokenHash: secretHash(),
            organizationId: organization.id,
            email: email,
            role: role,
            invitedBy: inviter?.id,
            createdAt: time,
            expiresAt: time + lifetime
        )
    }

    /// Creates `organization` with its `organization.created` audit entry.
    @discardableResult
    static func insert(_ organization: OrganizationRecord, into store: any PorticoStorage) async throws -> OrganizationRecord {
        let entry = audit(
            "organization.created",
            organization: organization.id,
            target: organization.id,
            type: "organization",
            at: organization.createdAt
        )
        try await store.createOrganization(organization, audit: entry)
        return organization
    }

    /// Creates `user` with its `user.created` audit entry, a member of `organization` with `role` when one is given.
    @discardableResult
    static func insert(
        _ user: UserRecord,
        memberOf organization: OrganizationRecord?,
        role: String = "owner",
        into store: any PorticoStorage
    ) async throws -> UserRecord {
        let member = organization.map { membership(user, in: $0, role: role) }
        let entry = audit("user.created", organization: organization?.id, target: user.id, type: "user", at: user.createdAt)
        try await store.createUser(user, membership: member, audit: entry)
        return user
    }

    /// Makes an existing user a member of `organization` the only way there
    /// is: an invitation, accepted at `time`.
    static func addMember(
        _ user: UserRecord,
        to organization: OrganizationRecord,
        role: String,
        at time: Int64,
        in store: any PorticoStorage
    ) async throws {
        let sent = invitation(to: organization, email: user.email, role: role, at: time)
        try await store.insertInvitation(
            sent,
            audit: audit("invitation.created", organization: organization.id, target: sent.id, type: "invitation", at: time)
        )
        let accepted = try await store.acceptInvitation(
            tokenHash: sent.tokenHash,
            newUser: nil,
            existingUserId: user.id,
            now: time,
            audit: audit("invitation.accepted", organization: organization.id, target: sent.id, type: "invitation", at: time)
        )
        guard accepted?.userId == user.id else { throw FixtureFailure(reason: "the invitation of \(user.email) was not accepted") }
    }

    // MARK: Keys

    /// A secret key of `organization`, as `KeyService` issues one.
    static func key(in organization: OrganizationRecord, livemode: Bool = false, expiresAt: Int64? = nil, at time: Int64 = now) -> APIKeyRecord {
        APIKeyRecord(
            id: Identifier.make("key", at: time),
            organizationId: organization.id,
            livemode: livemode,
            kind: "secret",
            label: nil,
            secretHash: secretHash(),
            prefix: livemode ? "sk_live_" : "sk_test_",
            last4: "a1b2",
            scopes: "*",
            allowedCidrs: "",
            expiresAt: expiresAt,
            createdAt: time,
            updatedAt: time
        )
    }

    /// The key that replaces `key` when it is rolled at `time`: same mode, kind and scopes, a new secret.
    static func replacement(for key: APIKeyRecord, at time: Int64) -> APIKeyRecord {
        APIKeyRecord(
            id: Identifier.make("key", at: time),
            organizationId: key.organizationId,
            livemode: key.livemode,
            kind: key.kind,
            label: key.label,
            secretHash: secretHash(),
            prefix: key.prefix,
            last4: "c3d4",
            scopes: key.scopes,
            allowedCidrs: key.allowedCidrs,
            expiresAt: key.expiresAt,
            createdAt: time,
            updatedAt: time
        )
    }

    /// Inserts `key` with its `api_key.created` audit entry.
    @discardableResult
    static func insert(_ key: APIKeyRecord, into store: any PorticoStorage) async throws -> APIKeyRecord {
        try await store.insertAPIKey(
            key,
            audit: audit("api_key.created", organization: key.organizationId, target: key.id, type: "api_key", at: key.createdAt)
        )
        return key
    }

    /// An audit entry about the key `id` of `organization`.
    static func keyAudit(_ action: String, key id: String, organization: OrganizationRecord, at time: Int64) -> AuditEntryRecord {
        audit(action, organization: organization.id, target: id, type: "api_key", at: time)
    }

    // MARK: Customers and events

    static func customer(in scope: TenantScope, name: String? = "Ada Lovelace", email: String? = nil, at time: Int64 = now) -> CustomerRecord {
        CustomerRecord(
            id: Identifier.make("cus", at: time),
            organizationId: scope.organizationId,
            livemode: scope.livemode,
            name: name,
            email: email,
            description: nil,
            metadata: "{}",
            createdAt: time,
            updatedAt: time
        )
    }

    /// An event about `customer` in its tenant; `data.object` names it.
    static func event(_ type: String, about customer: CustomerRecord, id: String? = nil, at time: Int64 = now) -> EventRecord {
        EventRecord(
            id: id ?? Identifier.make("evt", at: time),
            scope: TenantScope(organizationId: customer.organizationId, livemode: customer.livemode),
            type: type,
            data: #"{"object":{"id":"\#(customer.id)","name":"\#(customer.name ?? "")","object":"customer"}}"#,
            requestId: Identifier.makeRequestID(at: time),
            createdAt: time
        )
    }

    /// Inserts `customer` with its `customer.created` event; returns the event.
    @discardableResult
    static func insert(_ customer: CustomerRecord, into store: any PorticoStorage) async throws -> EventRecord {
        let created = event("customer.created", about: customer, at: customer.createdAt)
        try await store.insertCustomer(customer, event: created)
        return created
    }

    // MARK: Sessions

    /// A session of `user` looking at `organization`, started at `time` and last seen then.
    static func session(
        of user: UserRecord,
        in organization: OrganizationRecord,
        livemode: Bool = false,
        at time: Int64 = now
    ) -> DashboardSessionRecord {
        DashboardSessionRecord(idHash: secretHash(), userId: user.id, organizationId: organization.id, livemode: livemode, createdAt: time)
    }

    // MARK: Idempotency

    /// The hash of a `POST /v1/customers` request with this body.
    static func requestHash(_ body: String) -> Data {
        Data("POST /v1/customers\u{0}\(body)".utf8)
    }

    /// A request with `Idempotency-Key: key`, made at `time`, whose response is kept for `ttl`.
    static func idempotentRequest(
        _ scope: TenantScope,
        key: String = UUID().uuidString,
        body: String = "{}",
        at time: Int64 = now,
        ttl: Int64 = day
    ) -> IdempotentRequest {
        IdempotentRequest(scope: scope, key: key, requestHash: requestHash(body), createdAt: time, expiresAt: time + ttl)
    }

    static func response(_ body: String, status: Int = 200) -> IdempotentResponse {
        IdempotentResponse(status: status, contentType: "application/json", body: Data(body.utf8))
    }

    /// A completion that stores `response` whatever the write produced, and
    /// tells `commits` once the write's transaction has committed.
    static func completion<Value: Sendable>(
        _ request: IdempotentRequest,
        storing response: IdempotentResponse,
        commits: Commits? = nil
    ) -> IdempotentCompletion<Value> {
        IdempotentCompletion(request: request, render: { _ in response }, committed: { commits?.record($0) })
    }

    /// A completion whose response cannot be rendered: the write it completes must roll back.
    static func failingCompletion<Value: Sendable>(_ request: IdempotentRequest, commits: Commits? = nil) -> IdempotentCompletion<Value> {
        IdempotentCompletion(request: request, render: { _ in throw RenderFailure() }, committed: { commits?.record($0) })
    }

    /// A fixture's own setup did not go as every engine should make it go.
    struct FixtureFailure: Error {
        let reason: String
    }

    /// What a failing completion throws.
    struct RenderFailure: Error, Equatable {}

    /// The responses completions were told of after their transactions committed.
    final class Commits: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [IdempotentResponse] = []

        var responses: [IdempotentResponse] { lock.withLock { stored } }

        func record(_ response: IdempotentResponse) {
            lock.withLock { stored.append(response) }
        }
    }
}
