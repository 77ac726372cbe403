import Crypto
import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Who is looking at a dashboard page: their session, account, role in the
/// session's organization, and the organizations they may switch to.
struct Viewer: Sendable {
    var session: DashboardSessionRecord
    let user: UserRecord
    let role: Role
    let organization: OrganizationRecord
    let organizations: [UserOrganization]
    /// The synchronizer token every form of this session carries (see `SessionManager.csrfToken(for:)`).
    let csrfToken: String

    var livemode: Bool { session.livemode }
    var scope: TenantScope { TenantScope(organizationId: organization.id, livemode: session.livemode) }

    /// Throws a 403 page unless the role allows `action`.
    func require(_ action: Role.Action) throws {
        guard role.may(action) else { throw DashboardError.forbidden(role) }
    }

    func actor(request context: PorticoRequestContext) -> AuditActor {
        AuditActor(type: "user", id: user.id, ip: context.clientIP?.description, requestID: context.requestID)
    }
}

/// Dashboard sessions: a random 256-bit token in an `HttpOnly`,
/// `SameSite=Strict` cookie (`__Host-` prefixed and `Secure` when
/// `server.public_url` is https; a browser refuses `__Host-` without
/// `Secure`), stored only as its SHA-256. Every sign-in makes a new token,
/// so a token planted before sign-in is worth nothing. A session ends on
/// sign-out, after `dashboard.session_idle_minutes` unused, or
/// `dashboard.session_absolute_hours` after sign-in.
final class SessionManager: Sendable {
    private let store: any SessionStore
    private let clock: any PorticoClock
    private let idleMilliseconds: Int64
    private let absoluteMilliseconds: Int64
    let secureCookies: Bool
    let cookieName: String
    /// Last-seen times are written at most this often per session (a page view is not worth a write each).
    private static let touchInterval: Int64 = 60_000

    init(store: any SessionStore, clock: any PorticoClock, settings: PorticoConfig.Dashboard, secureCookies: Bool) {
        self.store = store
        self.clock = clock
        self.idleMilliseconds = Int64(settings.sessionIdleMinutes) * 60_000
        self.absoluteMilliseconds = Int64(settings.sessionAbsoluteHours) * 3_600_000
        self.secureCookies = secureCookies
        self.cookieName = secureCookies ? "__Host-portico_session" : "portico_session"
    }

    static func hash(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

    /// A session's CSRF token, derived from its cookie value (HMAC-SHA256) instead
    /// of stored: the database holds neither, so a copy of it forges no form.
    /// The cookie is `HttpOnly`, so a page script cannot derive the token.
    static func csrfToken(for sessionToken: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("portico.csrf.v1".utf8), using: SymmetricKey(data: Data(sessionToken.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Signs `userId` in to `organizationId` (test mode first); returns the `Set-Cookie` value.
    func start(userId: String, organizationId: String, actor: AuditActor) async throws -> String {
        let token = Base62.random(count: 43)
        let now = clock.nowMilliseconds
        let session = DashboardSessionRecord(
            idHash: Self.hash(token),
            userId: userId,
            organizationId: organizationId,
            livemode: false,
            createdAt: now
        )
        try await store.insertSession(
            session,
            audit: actor.entry("user.signed_in", organizationID: organizationId, targetType: "user", targetID: userId, at: now)
        )
        return cookie(token, maxAge: absoluteMilliseconds / 1_000)
    }

    /// The signed-in viewer of `request`, or nil (no cookie, unknown, timed out, or no longer a member).
    func viewer(of request: Request) async throws -> Viewer? {
        guard let token = request.cookies[cookieName]?.value, !token.isEmpty,
            let (session, user, organizations) = try await store.session(idHash: Self.hash(token))
        else { return nil }
        let now = clock.nowMilliseconds
        if now - session.lastSeenAt > idleMilliseconds || now - session.createdAt > absoluteMilliseconds {
            try await store.deleteSession(idHash: session.idHash, audit: nil)
            return nil
        }
        var current = session
        if now - session.lastSeenAt > Self.touchInterval {
            current.lastSeenAt = now
            try await store.saveSession(current)
        }
        // No longer a member of the session's organization: the session is worth nothing.
        guard let membership = organizations.first(where: { $0.organization.id == session.organizationId }),
            let role = Role(rawValue: membership.role)
        else { return nil }
        return Viewer(
            session: current,
            user: user,
            role: role,
            organization: membership.organization,
            organizations: organizations,
            csrfToken: Self.csrfToken(for: token)
        )
    }

    /// Ends the session of `request`, if any.
    func end(_ request: Request, actor: AuditActor, viewer: Viewer?) async throws {
        guard let token = request.cookies[cookieName]?.value else { return }
        let audit = viewer.map {
            actor.entry("user.signed_out", organizationID: $0.organization.id, targetType: "user", targetID: $0.user.id, at: clock.nowMilliseconds)
        }
        try await store.deleteSession(idHash: Self.hash(token), audit: audit)
    }

    /// Points the session at another organization or mode.
    func update(_ viewer: Viewer, organizationId: String? = nil, livemode: Bool? = nil) async throws {
        var session = viewer.session
        if let organizationId { session.organizationId = organizationId }
        if let livemode { session.livemode = livemode }
        try await store.saveSession(session)
    }

    func cookie(_ value: String, maxAge: Int64) -> String {
        "\(cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    var expiredCookie: String { cookie("", maxAge: 0) }
}
