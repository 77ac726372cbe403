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
    /// The synchronizer token every form of this session carries (see `SessionCookie.csrfToken(for:)`).
    let csrfToken: String

    var livemode: Bool { session.livemode }
    /// Past the second factor (or signed in without one): only such a session sees the dashboard.
    var isVerified: Bool { session.verifiedAt != nil }
    /// The organization requires two-factor sign-in and this user has none yet: nothing but
    /// setting it up (and their account, signing out, switching organization) is served.
    var owesTwoFactorSetup: Bool { organization.requireTwoFactor && !user.hasTwoFactor }
    var scope: TenantScope { TenantScope(organizationId: organization.id, livemode: session.livemode) }

    /// Throws a 403 page unless the role allows `action`.
    func require(_ action: Role.Action) throws {
        guard role.may(action) else { throw DashboardError.forbidden(role) }
    }

    func actor(request context: PorticoRequestContext) -> AuditActor {
        AuditActor(type: "user", id: user.id, ip: context.clientIP?.description, requestID: context.requestID)
    }
}

/// Dashboard sessions: the cookie is `SessionCookie`'s (`portico_session`),
/// the session a row of `dashboard_sessions` that also names the
/// organization and mode being viewed. A session ends on sign-out or when
/// its cookie's timeouts say so.
final class SessionManager: Sendable {
    private let store: any SessionStore
    private let clock: any PorticoClock
    let cookie: SessionCookie

    init(store: any SessionStore, clock: any PorticoClock, settings: PorticoConfig.Dashboard, secureCookies: Bool) {
        self.store = store
        self.clock = clock
        self.cookie = SessionCookie(name: "portico_session", settings: settings, secure: secureCookies)
    }

    static func hash(_ token: String) -> Data { SessionCookie.hash(token) }

    /// Signs `userId` in to `organizationId` (test mode first); returns the `Set-Cookie` value. With
    /// `secondFactorPending` the session serves only the two-factor step until `verify` (the
    /// password was right: "user.password_accepted"); otherwise it is signed in ("user.signed_in").
    func start(userId: String, organizationId: String, actor: AuditActor, secondFactorPending: Bool = false) async throws -> String {
        let (token, setCookie) = cookie.issue()
        let now = clock.nowMilliseconds
        let session = DashboardSessionRecord(
            idHash: Self.hash(token),
            userId: userId,
            organizationId: organizationId,
            livemode: false,
            createdAt: now,
            verified: !secondFactorPending
        )
        let action = secondFactorPending ? "user.password_accepted" : "user.signed_in"
        try await store.insertSession(
            session,
            audit: actor.entry(action, organizationID: organizationId, targetType: "user", targetID: userId, at: now)
        )
        return setCookie
    }

    /// The second factor passed: the session may now see the dashboard.
    func verify(_ viewer: Viewer, how: String, actor: AuditActor) async throws {
        var session = viewer.session
        let now = clock.nowMilliseconds
        session.verifiedAt = now
        session.lastSeenAt = now
        let audit = actor.entry(
            "user.signed_in",
            organizationID: viewer.organization.id,
            targetType: "user",
            targetID: viewer.user.id,
            details: ["second_factor": how],
            at: now
        )
        try await store.saveSession(session, audit: audit)
    }

    /// The signed-in viewer of `request`, past any second factor and owing no two-factor setup;
    /// nil otherwise (no cookie, unknown, timed out, no longer a member, the second factor still
    /// to come, or an organization requiring one the user lacks). Pages outside the dashboard
    /// (the docs) use this; the dashboard's own go through `Dashboard.viewer`, which redirects.
    func viewer(of request: Request) async throws -> Viewer? {
        guard let viewer = try await session(of: request), viewer.isVerified, !viewer.owesTwoFactorSetup else { return nil }
        return viewer
    }

    /// The viewer of `request`, verified or not.
    func session(of request: Request) async throws -> Viewer? {
        guard let token = cookie.token(of: request), let (session, user, organizations) = try await store.session(idHash: Self.hash(token))
        else { return nil }
        let now = clock.nowMilliseconds
        if cookie.isExpired(createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, now: now) {
            try await store.deleteSession(idHash: session.idHash, audit: nil)
            return nil
        }
        var current = session
        if cookie.needsTouch(lastSeenAt: session.lastSeenAt, now: now) {
            current.lastSeenAt = now
            try await store.saveSession(current, audit: nil)
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
            csrfToken: SessionCookie.csrfToken(for: token)
        )
    }

    /// Ends the session of `request`, if any.
    func end(_ request: Request, actor: AuditActor, viewer: Viewer?) async throws {
        guard let token = cookie.token(of: request) else { return }
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
        try await store.saveSession(session, audit: nil)
    }
}
