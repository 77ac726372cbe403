import Crypto
import Foundation
import Hummingbird
import NIOPosix
import PorticoCore
import PorticoStore
import Synchronization

/// What every dashboard page shares: the runtime's services, sessions and
/// the sign-in throttle, plus the two checks every handler starts with
/// (who is looking, and is this form ours).
final class Dashboard: Sendable {
    typealias Context = PorticoRequestContext
    let runtime: PorticoRuntime
    let sessions: SessionManager
    let throttle: LoginThrottle
    /// Wrong second-factor codes per account.
    let codeThrottle: LoginThrottle
    /// A hash checked when the email is unknown, so that answer takes as long as a wrong password.
    private let decoyHash = Mutex<String?>(nil)

    var store: any PorticoStorage { runtime.store }
    var clock: any PorticoClock { runtime.clock }
    var config: PorticoConfig { runtime.config }

    init(runtime: PorticoRuntime) {
        self.runtime = runtime
        let settings = runtime.config.dashboard
        self.sessions = SessionManager(
            store: runtime.store,
            clock: runtime.clock,
            settings: settings,
            secureCookies: runtime.config.server.servesHTTPS
        )
        self.throttle = LoginThrottle(attempts: settings.loginAttempts, windowMinutes: settings.loginWindowMinutes)
        self.codeThrottle = LoginThrottle(attempts: settings.loginAttempts, windowMinutes: settings.loginWindowMinutes)
    }

    /// Dashboard users' second factor.
    var twoFactor: TwoFactor { TwoFactor(holder: .user, store: store, clock: clock, secrets: runtime.secretBox) }

    /// The signed-in viewer, or a redirect: to the sign-in form that comes back here, to the
    /// two-factor step of a session still waiting for it, or to two-factor setup when the
    /// organization requires it of a member without one (only their account pages, signing out
    /// and switching organization are served meanwhile).
    func viewer(_ request: Request) async throws -> Viewer {
        guard let viewer = try await sessions.session(of: request) else {
            throw DashboardError.signInRequired(returnTo: request.uri.path)
        }
        guard viewer.isVerified else { throw DashboardError.redirect(to: TwoFactorPages.step) }
        if viewer.owesTwoFactorSetup,
            !["/dashboard/account", "/dashboard/logout", "/dashboard/switch"].contains(where: { request.uri.path.hasPrefix($0) })
        {
            throw DashboardError.redirect(to: TwoFactorPages.setup)
        }
        return viewer
    }

    /// The posted form, after checking it carries this session's CSRF token. A suspended
    /// organization's dashboard is read-only: only what `whileSuspended` allows (signing out,
    /// switching organization or mode) goes through.
    func form(_ request: inout Request, context: Context, viewer: Viewer, whileSuspended: Bool = false) async throws -> FormData {
        let form = try await FormData.read(&request, context: context, csrfToken: viewer.csrfToken)
        if viewer.organization.isSuspended, !whileSuspended { throw DashboardError.suspended }
        return form
    }

    /// The viewer and their checked form for an action their role must allow: what every form handler starts with.
    func submission(_ request: inout Request, context: Context, requiring action: Role.Action) async throws -> (Viewer, FormData) {
        try await submission(&request, context: context) { _ in action }
    }

    /// `submission`, for an action that depends on the viewer (the mode they are in).
    func submission(
        _ request: inout Request,
        context: Context,
        requiring action: (Viewer) -> Role.Action
    ) async throws -> (Viewer, FormData) {
        let viewer = try await viewer(request)
        let form = try await form(&request, context: context, viewer: viewer)
        try viewer.require(action(viewer))
        return (viewer, form)
    }

    /// Hashes a new password off the event loop (scrypt: see `verifyPassword`).
    func hashPassword(_ password: String) async throws -> String {
        let hasher = runtime.accounts.hasher
        return try await NIOThreadPool.singleton.runIfActive { try hasher.hash(password) }
    }

    /// Checks a password off the event loop (scrypt takes a tenth of a second and 128 MiB at OWASP's cost).
    func verifyPassword(_ password: String, user: UserRecord?) async throws -> Bool {
        try await verifyPassword(password, storedHash: user?.passwordHash)
    }

    /// `verifyPassword` for any account's stored hash (a staff account's too); nil: no such account.
    func verifyPassword(_ password: String, storedHash: String?) async throws -> Bool {
        let stored: String
        if let storedHash {
            stored = storedHash
        } else if let decoy = decoyHash.withLock({ $0 }) {
            stored = decoy
        } else {
            let decoy = try PasswordHasher(cost: config.accounts.passwordHashCost).hash(Base62.random(count: 24))
            decoyHash.withLock { $0 = decoy }
            stored = decoy
        }
        let verified = try await NIOThreadPool.singleton.runIfActive { PasswordHasher.verify(password, against: stored) }
        return verified && storedHash != nil
    }

    /// `path` as the value of a `next=` query parameter.
    static func encodedReturnPath(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-_"))) ?? ""
    }

    /// A local dashboard path to return to after sign-in; anything else (another host, `//x`) becomes the overview.
    static func safeReturnPath(_ path: String?, home: String = "/dashboard") -> String {
        guard let path, path == home || path.hasPrefix(home + "/"), !path.contains("\\"), !path.contains("://") else { return home }
        return path
    }
}
