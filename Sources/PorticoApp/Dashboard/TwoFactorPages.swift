import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Two-factor sign-in for dashboard users, as staff have it (`TwoFactor`):
/// set up from the account page (the `otpauth://` URI, its QR code drawn on
/// the server, a first code, then recovery codes shown once), asked for at
/// every sign-in after the password (a code, each time step once, or a
/// recovery code, each once), turned off with the password and a code unless
/// one of the user's organizations requires it. An organization that
/// requires it sends a member without one here before anything else.
struct TwoFactorPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    /// The sign-in step after the password.
    static let step = "/dashboard/two-factor"
    /// Setting it up (from the account page).
    static let setup = "/dashboard/account/two-factor"

    func register(on router: RouterGroup<Context>) {
        router.get("two-factor") { request, _ in try await self.stepForm(request) }
        router.post("two-factor") { request, context in try await self.verify(request, context: context) }
        router.get("account/two-factor") { request, _ in try await self.setupForm(request) }
        router.post("account/two-factor") { request, context in try await self.enroll(request, context: context) }
        router.post("account/two-factor/disable") { request, context in try await self.disable(request, context: context) }
    }

    // MARK: At sign-in

    /// A session past its password but not its second factor; otherwise back to sign-in (or in, when verified).
    private func pendingViewer(_ request: Request) async throws -> Viewer {
        guard let viewer = try await dashboard.sessions.session(of: request) else { throw DashboardError.signInRequired(returnTo: "/dashboard") }
        if viewer.isVerified { throw DashboardError.redirect(to: "/dashboard") }
        return viewer
    }

    private func stepForm(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let viewer = try await pendingViewer(request)
        let next = Dashboard.safeReturnPath(request.uri.queryParameters.get("next"))
        return WebPage.response(
            Layout.bare(
                title: "Two-factor sign-in",
                body: """
                    <h1>Two-factor sign-in</h1>
                    \(Layout.alert(error))
                    <form method="post" action="\(Self.step)">
                    \(Layout.csrfField(viewer.csrfToken))
                    <input type="hidden" name="next" value="\(next)">
                    <p><label for="code">Code from your authenticator app, or a recovery code</label>
                    <input id="code" name="code" autocomplete="one-time-code" required></p>
                    <p><button type="submit">Sign in</button></p>
                    </form>
                    <form method="post" action="/dashboard/logout">\(Layout.csrfField(viewer.csrfToken))<button type="submit">Sign out</button></form>
                    <p>Lost both? An operator of this Portico can turn two-factor sign-in off for your account.</p>
                    """
            ),
            status: status
        )
    }

    private func verify(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await pendingViewer(request)
        let form = try await FormData.read(&request, context: context, csrfToken: viewer.csrfToken)
        if let refusal = throttled(viewer) { return try await stepForm(request, error: refusal, status: .tooManyRequests) }
        let actor = viewer.actor(request: context)
        countAttempt(viewer)
        let outcome = try await dashboard.twoFactor.verify(viewer.user.twoFactor, input: form["code"] ?? "", by: actor)
        guard outcome != .refused else {
            return try await stepForm(request, error: "That code is not right, or it was already used.", status: .unauthorized)
        }
        dashboard.codeThrottle.recordSuccess(viewer.user.id)
        try await dashboard.sessions.verify(viewer, how: outcome == .totp ? "totp" : "recovery_code", actor: actor)
        return WebPage.redirect(to: Dashboard.safeReturnPath(form["next"]))
    }

    // MARK: Setting it up and turning it off

    /// `sealed`: the secret a refused form carried, shown again so the app that scanned it still matches.
    private func setupForm(
        _ request: Request,
        error: String? = nil,
        sealed: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        guard !viewer.user.hasTwoFactor else { throw DashboardError.redirect(to: "/dashboard/account") }
        let twoFactor = dashboard.twoFactor
        let (totp, secret) =
            sealed.flatMap { sealed in twoFactor.enrollment(sealed: sealed, for: viewer.user.twoFactor).map { ($0, sealed) } }
            ?? twoFactor.newEnrollment(for: viewer.user.twoFactor)
        let required: HTML =
            viewer.organization.requireTwoFactor
            ? "<p class=\"notice\" role=\"status\">\(viewer.organization.name) requires two-factor sign-in of every member: set it up to go on.</p>"
            : ""
        let body: HTML = """
            <h1>Set up two-factor sign-in</h1>
            \(required)
            <p>Scan this code with an authenticator app (1Password, Google Authenticator, Authy, …), then type the six-digit code it shows.
            From then on, signing in asks for a code after your password, and every other session of your account is signed out now.</p>
            \(Layout.alert(error))
            \(try TwoFactorViews.secret(totp, account: viewer.user.email))
            <form method="post" action="\(Self.setup)">\(Layout.csrf(viewer))
            <input type="hidden" name="secret" value="\(secret)">
            \(TwoFactorViews.codeField)
            <p><label for="current_password">Current password</label><input id="current_password" name="current_password" type="password" autocomplete="current-password" required></p>
            <p><button type="submit">Turn on two-factor sign-in</button></p>
            </form>
            """
        return WebPage.response(Layout.page(viewer, title: "Two-factor sign-in", current: "/dashboard/account", body: body), status: status)
    }

    /// Needs the current password too: a stolen session cookie must not bind its thief's authenticator.
    private func enroll(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        guard !viewer.user.hasTwoFactor else { throw DashboardError.redirect(to: "/dashboard/account") }
        let sealed = form["secret"] ?? ""
        if let refusal = throttled(viewer) { return try await setupForm(request, error: refusal, sealed: sealed, status: .tooManyRequests) }
        countAttempt(viewer)
        guard try await dashboard.verifyPassword(form["current_password"] ?? "", user: viewer.user) else {
            return try await setupForm(request, error: "The current password is not right.", sealed: sealed, status: .unauthorized)
        }
        guard
            let codes = try await dashboard.twoFactor.completeEnrollment(
                viewer.user.twoFactor,
                sealed: sealed,
                code: form["code"] ?? "",
                keepingSession: viewer.session.idHash,
                by: viewer.actor(request: context)
            )
        else {
            return try await setupForm(request, error: TwoFactorViews.wrongCode, sealed: sealed, status: .unauthorized)
        }
        dashboard.codeThrottle.recordSuccess(viewer.user.id)
        let body = TwoFactorViews.recoveryCodes(codes, heading: "Two-factor sign-in is on", next: "/dashboard", onward: "Continue to the dashboard")
        return WebPage.response(Layout.page(viewer, title: "Recovery codes", current: "/dashboard/account", body: body))
    }

    private func disable(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        guard viewer.user.hasTwoFactor else { throw DashboardError.redirect(to: "/dashboard/account") }
        if let requiring = viewer.organizations.first(where: { $0.organization.requireTwoFactor }) {
            throw DashboardError.badRequest("\(requiring.organization.name) requires two-factor sign-in of its members, so it stays on.")
        }
        if let refusal = throttled(viewer) { throw DashboardError.badRequest(refusal) }
        let actor = viewer.actor(request: context)
        countAttempt(viewer)
        guard try await dashboard.verifyPassword(form["current_password"] ?? "", user: viewer.user),
            try await dashboard.twoFactor.verify(viewer.user.twoFactor, input: form["code"] ?? "", by: actor) != .refused
        else {
            throw DashboardError.badRequest("The password or the code is not right: two-factor sign-in stays on.")
        }
        dashboard.codeThrottle.recordSuccess(viewer.user.id)
        try await dashboard.runtime.turnOffTwoFactor(of: viewer.user, by: actor)
        return WebPage.redirect(to: "/dashboard/account?two_factor=off")
    }

    /// Counted before the check and cleared after a success, so parallel guesses cannot all pass the limit.
    private func countAttempt(_ viewer: Viewer) {
        dashboard.codeThrottle.recordFailure(viewer.user.id, now: dashboard.clock.nowMilliseconds)
    }

    private func throttled(_ viewer: Viewer) -> String? {
        dashboard.codeThrottle.refusal(viewer.user.id, now: dashboard.clock.nowMilliseconds, "Too many wrong codes.")
    }
}
