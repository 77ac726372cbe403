import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Who is looking at a console page: their session and account.
struct StaffViewer: Sendable {
    var session: StaffSessionRecord
    let staff: StaffRecord
    /// Every form of this session carries it (`SessionManager.csrfToken(for:)`, the same derivation).
    let csrfToken: String

    /// Past the second factor: only then is any page but enrollment and the two-factor step served.
    var isVerified: Bool { session.verifiedAt != nil }

    func actor(request context: PorticoRequestContext) -> AuditActor {
        AuditActor(type: "staff", id: staff.id, ip: context.clientIP?.description, requestID: context.requestID)
    }
}

/// Staff sessions: the dashboard's design (a random 256-bit token in an
/// `HttpOnly`, `SameSite=Strict` cookie, stored as its SHA-256, a new one at
/// every sign-in, idle and absolute timeouts) under their own cookie and
/// table, so a tenant's session is worth nothing here and a staff session
/// nothing in a tenant's dashboard. A session starts unverified at the
/// password and is verified by the second factor.
final class StaffSessions: Sendable {
    private let store: any StaffStore
    private let clock: any PorticoClock
    private let idleMilliseconds: Int64
    private let absoluteMilliseconds: Int64
    let secureCookies: Bool
    let cookieName: String
    private static let touchInterval: Int64 = 60_000

    init(store: any StaffStore, clock: any PorticoClock, settings: PorticoConfig.Dashboard, secureCookies: Bool) {
        self.store = store
        self.clock = clock
        self.idleMilliseconds = Int64(settings.sessionIdleMinutes) * 60_000
        self.absoluteMilliseconds = Int64(settings.sessionAbsoluteHours) * 3_600_000
        self.secureCookies = secureCookies
        self.cookieName = secureCookies ? "__Host-portico_staff" : "portico_staff"
    }

    /// Starts an unverified session for `staff`; returns the `Set-Cookie` value.
    func start(_ staff: StaffRecord, actor: AuditActor) async throws -> String {
        let token = Base62.random(count: 43)
        let now = clock.nowMilliseconds
        try await store.insertStaffSession(
            StaffSessionRecord(idHash: SessionManager.hash(token), staffId: staff.id, createdAt: now),
            audit: actor.entry("staff.password_accepted", organizationID: nil, targetType: "staff", targetID: staff.id, at: now)
        )
        return cookie(token, maxAge: absoluteMilliseconds / 1_000)
    }

    /// The viewer of `request`, verified or not; nil without a live session of an active account.
    func viewer(of request: Request) async throws -> StaffViewer? {
        guard let token = request.cookies[cookieName]?.value, !token.isEmpty,
            let (session, staff) = try await store.staffSession(idHash: SessionManager.hash(token))
        else { return nil }
        let now = clock.nowMilliseconds
        if staff.isDisabled || now - session.lastSeenAt > idleMilliseconds || now - session.createdAt > absoluteMilliseconds {
            try await store.deleteStaffSession(idHash: session.idHash, audit: nil)
            return nil
        }
        var current = session
        if now - session.lastSeenAt > Self.touchInterval {
            current.lastSeenAt = now
            try await store.saveStaffSession(current, audit: nil)
        }
        return StaffViewer(session: current, staff: staff, csrfToken: SessionManager.csrfToken(for: token))
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

    func end(_ request: Request, viewer: StaffViewer, actor: AuditActor) async throws {
        let audit = actor.entry("staff.signed_out", organizationID: nil, targetType: "staff", targetID: viewer.staff.id, at: clock.nowMilliseconds)
        try await store.deleteStaffSession(idHash: viewer.session.idHash, audit: audit)
    }

    func cookie(_ value: String, maxAge: Int64) -> String {
        "\(cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    var expiredCookie: String { cookie("", maxAge: 0) }
}
