import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Who is looking at a console page: their session and account.
struct StaffViewer: Sendable {
    var session: StaffSessionRecord
    let staff: StaffRecord
    /// Every form of this session carries it (`SessionCookie.csrfToken(for:)`).
    let csrfToken: String

    /// Past the second factor: only then is any page but enrollment and the two-factor step served.
    var isVerified: Bool { session.verifiedAt != nil }

    func actor(request context: PorticoRequestContext) -> AuditActor {
        AuditActor(type: "staff", id: staff.id, ip: context.clientIP?.description, requestID: context.requestID)
    }
}

/// Staff sessions: the dashboard's cookie rules (`SessionCookie`) under
/// their own cookie (`portico_staff`) and table, so a tenant's session is
/// worth nothing here and a staff session nothing in a tenant's dashboard.
/// A session starts unverified at the password and is verified by the
/// second factor; a disabled account's sessions end.
final class StaffSessions: Sendable {
    private let store: any StaffStore
    private let clock: any PorticoClock
    let cookie: SessionCookie

    init(store: any StaffStore, clock: any PorticoClock, settings: PorticoConfig.Dashboard, secureCookies: Bool) {
        self.store = store
        self.clock = clock
        self.cookie = SessionCookie(name: "portico_staff", settings: settings, secure: secureCookies)
    }

    /// Starts an unverified session for `staff`; returns the `Set-Cookie` value.
    func start(_ staff: StaffRecord, actor: AuditActor) async throws -> String {
        let (token, setCookie) = cookie.issue()
        let now = clock.nowMilliseconds
        try await store.insertStaffSession(
            StaffSessionRecord(idHash: SessionCookie.hash(token), staffId: staff.id, createdAt: now),
            audit: actor.entry("staff.password_accepted", organizationID: nil, targetType: "staff", targetID: staff.id, at: now)
        )
        return setCookie
    }

    /// The viewer of `request`, verified or not; nil without a live session of an active account.
    func viewer(of request: Request) async throws -> StaffViewer? {
        guard let token = cookie.token(of: request), let (session, staff) = try await store.staffSession(idHash: SessionCookie.hash(token))
        else { return nil }
        let now = clock.nowMilliseconds
        if staff.isDisabled || cookie.isExpired(createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, now: now) {
            try await store.deleteStaffSession(idHash: session.idHash, audit: nil)
            return nil
        }
        var current = session
        if cookie.needsTouch(lastSeenAt: session.lastSeenAt, now: now) {
            current.lastSeenAt = now
            try await store.saveStaffSession(current, audit: nil)
        }
        return StaffViewer(session: current, staff: staff, csrfToken: SessionCookie.csrfToken(for: token))
    }

    /// The second factor passed: the session may now see the console.
    func verify(_ viewer: StaffViewer, how: String, actor: AuditActor) async throws {
        var session = viewer.session
        let now = clock.nowMilliseconds
        session.verifiedAt = now
        session.lastSeenAt = now
        let audit = actor.entry(
            "staff.signed_in",
            organizationID: nil,
            targetType: "staff",
            targetID: viewer.staff.id,
            details: ["second_factor": how],
            at: now
        )
        try await store.saveStaffSession(session, audit: audit)
    }

    func end(viewer: StaffViewer, actor: AuditActor) async throws {
        let audit = actor.entry("staff.signed_out", organizationID: nil, targetType: "staff", targetID: viewer.staff.id, at: clock.nowMilliseconds)
        try await store.deleteStaffSession(idHash: viewer.session.idHash, audit: audit)
    }
}
