import Foundation
import HTTPTypes
import Hummingbird
import PorticoCore
import PorticoStore

/// Signing in to the console: password, then the second factor, which is
/// mandatory. An account's first sign-in enrolls it (the `otpauth://` URI,
/// its QR code drawn as SVG on the server, and a first code), then shows
/// its recovery codes once. Later sign-ins take a six-digit code (each
/// time step once) or an unused recovery code. Both steps are throttled.
struct AdminAuthPages: Sendable {
    typealias Context = PorticoRequestContext
    let admin: Admin
    private var preSession: PreSessionForm { .admin(secure: admin.sessions.cookie.secure) }

    func register(on router: RouterGroup<Context>) {
        router.get("login") { request, _ in try await self.loginForm(request) }
        router.post("login") { request, context in try await self.login(request, context: context) }
        router.get("enroll") { request, _ in try await self.enrollForm(request) }
        router.post("enroll") { request, context in try await self.enroll(request, context: context) }
        router.get("two-factor") { request, _ in try await self.secondFactorForm(request) }
        router.post("two-factor") { request, context in try await self.secondFactor(request, context: context) }
        router.post("logout") { request, context in try await self.logout(request, context: context) }
    }

    // MARK: Password

    private func loginForm(_ request: Request, email: String = "", error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        if error == nil, let viewer = try await admin.sessions.viewer(of: request), viewer.isVerified { return WebPage.redirect(to: Admin.home) }
        let next = Dashboard.safeReturnPath(request.uri.queryParameters.get("next"), home: Admin.home)
        return preSession.page(request, title: "Console sign-in", status: status) { token in
            """
            <h1>Portico console</h1>
            <p>For the team that runs this Portico. Customers sign in at <a href="/dashboard/login">the dashboard</a>.</p>
            \(Layout.alert(error))
            <form method="post" action="/admin/login">
            <input type="hidden" name="form_token" value="\(token)">
            <input type="hidden" name="next" value="\(next)">
            <p><label for="email">Staff email</label><input id="email" name="email" type="email" autocomplete="username" required value="\(email)"></p>
            <p><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></p>
            <p><button type="submit">Continue</button></p>
            </form>
            """
        }
    }

    private func login(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let form = try await preSession.checked(&request, context: context)
        let email = (form.text("email") ?? "").lowercased()
        let now = admin.clock.nowMilliseconds
        if let refusal = admin.throttle.refusal(email, now: now, "Too many sign-in attempts for this account.") {
            return try await loginForm(request, email: email, error: refusal, status: .tooManyRequests)
        }
        let staff = try await admin.store.staff(email: email)
        // A disabled account fails like a wrong password, after the same work.
        guard try await admin.dashboard.verifyPassword(form["password"] ?? "", storedHash: staff?.passwordHash), let staff, !staff.isDisabled
        else {
            admin.throttle.recordFailure(email, now: now)
            return try await loginForm(request, email: email, error: "Incorrect email or password.", status: .unauthorized)
        }
        admin.throttle.recordSuccess(email)
        let actor = AuditActor(type: "staff", id: staff.id, ip: context.clientIP?.description, requestID: context.requestID)
        // A new session at every sign-in: a cookie planted earlier is worth nothing.
        if let previous = try await admin.sessions.viewer(of: request) { try await admin.sessions.end(viewer: previous, actor: actor) }
        let cookie = try await admin.sessions.start(staff, actor: actor)
        let next = Dashboard.safeReturnPath(form["next"], home: Admin.home)
        let step = staff.isEnrolled ? "/admin/two-factor" : "/admin/enroll"
        var headers: HTTPFields = [.setCookie: cookie]
        headers.append(preSession.expiredCookie)
        return WebPage.redirect(to: next == Admin.home ? step : "\(step)?next=\(Dashboard.encodedReturnPath(next))", headers: headers)
    }

    /// A session past its password but not its second factor; otherwise back to sign-in (or in, when verified).
    private func pendingViewer(_ request: Request) async throws -> StaffViewer {
        guard let viewer = try await admin.sessions.viewer(of: request) else { throw DashboardError.signInRequired(returnTo: Admin.home) }
        if viewer.isVerified { throw DashboardError.redirect(to: Admin.home) }
        return viewer
    }

    // MARK: Enrollment

    /// `sealed`: the secret a refused form carried, shown again so the app that scanned it still matches.
    private func enrollForm(
        _ request: Request,
        error: String? = nil,
        sealed: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let viewer = try await pendingViewer(request)
        guard !viewer.staff.isEnrolled else { throw DashboardError.redirect(to: "/admin/two-factor") }
        let twoFactor = admin.staff.twoFactor
        let (totp, secret) =
            sealed.flatMap { sealed in twoFactor.enrollment(sealed: sealed, for: viewer.staff.twoFactor).map { ($0, sealed) } }
            ?? twoFactor.newEnrollment(for: viewer.staff.twoFactor)
        let next = Dashboard.safeReturnPath(request.uri.queryParameters.get("next"), home: Admin.home)
        return WebPage.response(
            Layout.bare(
                title: "Set up two-factor authentication",
                body: """
                    <h1>Set up two-factor authentication</h1>
                    <p>The console requires it. Scan this code with an authenticator app (1Password, Google Authenticator, Authy, …),
                    then type the six-digit code it shows.</p>
                    \(Layout.alert(error))
                    \(try TwoFactorViews.secret(totp, account: viewer.staff.email))
                    <form method="post" action="/admin/enroll">
                    \(AdminLayout.csrf(viewer))
                    <input type="hidden" name="next" value="\(next)">
                    <input type="hidden" name="secret" value="\(secret)">
                    \(TwoFactorViews.codeField)
                    <p><button type="submit">Turn on two-factor authentication</button></p>
                    </form>
                    """
            ),
            status: status
        )
    }

    private func enroll(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await pendingViewer(request)
        let form = try await admin.form(&request, context: context, viewer: viewer)
        guard !viewer.staff.isEnrolled else { throw DashboardError.redirect(to: "/admin/two-factor") }
        let sealed = form["secret"] ?? ""
        if let refusal = throttled(viewer) { return try await enrollForm(request, error: refusal, sealed: sealed, status: .tooManyRequests) }
        let actor = viewer.actor(request: context)
        // Counted before the check, cleared after a success: parallel guesses cannot all pass the limit.
        admin.codeThrottle.recordFailure(viewer.staff.id, now: admin.clock.nowMilliseconds)
        guard
            let codes = try await admin.staff.twoFactor.completeEnrollment(
                viewer.staff.twoFactor,
                sealed: sealed,
                code: form["code"] ?? "",
                keepingSession: viewer.session.idHash,
                by: actor
            )
        else {
            return try await enrollForm(request, error: TwoFactorViews.wrongCode, sealed: sealed, status: .unauthorized)
        }
        admin.codeThrottle.recordSuccess(viewer.staff.id)
        try await admin.sessions.verify(viewer, how: "enrollment", actor: actor)
        let next = Dashboard.safeReturnPath(form["next"], home: Admin.home)
        return WebPage.response(
            Layout.bare(
                title: "Recovery codes",
                body: TwoFactorViews.recoveryCodes(codes, heading: "Two-factor authentication is on", next: next, onward: "Continue to the console")
            )
        )
    }

    // MARK: Second factor

    private func secondFactorForm(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let viewer = try await pendingViewer(request)
        guard viewer.staff.isEnrolled else { throw DashboardError.redirect(to: "/admin/enroll") }
        let next = Dashboard.safeReturnPath(request.uri.queryParameters.get("next"), home: Admin.home)
        return WebPage.response(
            Layout.bare(
                title: "Two-factor authentication",
                body: """
                    <h1>Two-factor authentication</h1>
                    \(Layout.alert(error))
                    <form method="post" action="/admin/two-factor">
                    \(AdminLayout.csrf(viewer))
                    <input type="hidden" name="next" value="\(next)">
                    <p><label for="code">Code from your authenticator app, or a recovery code</label>
                    <input id="code" name="code" autocomplete="one-time-code" required></p>
                    <p><button type="submit">Sign in</button></p>
                    </form>
                    """
            ),
            status: status
        )
    }

    private func secondFactor(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await pendingViewer(request)
        let form = try await admin.form(&request, context: context, viewer: viewer)
        if let refusal = throttled(viewer) { return try await secondFactorForm(request, error: refusal, status: .tooManyRequests) }
        let actor = viewer.actor(request: context)
        // Counted before the check, cleared after a success: parallel guesses cannot all pass the limit.
        admin.codeThrottle.recordFailure(viewer.staff.id, now: admin.clock.nowMilliseconds)
        let outcome = try await admin.staff.twoFactor.verify(viewer.staff.twoFactor, input: form["code"] ?? "", by: actor)
        guard outcome != .refused else {
            return try await secondFactorForm(request, error: "That code is not right, or it was already used.", status: .unauthorized)
        }
        admin.codeThrottle.recordSuccess(viewer.staff.id)
        try await admin.sessions.verify(viewer, how: outcome == .totp ? "totp" : "recovery_code", actor: actor)
        return WebPage.redirect(to: Dashboard.safeReturnPath(form["next"], home: Admin.home))
    }

    private func logout(_ request: Request, context: Context) async throws -> Response {
        var request = request
        guard let viewer = try await admin.sessions.viewer(of: request) else { return WebPage.redirect(to: "/admin/login") }
        _ = try await admin.form(&request, context: context, viewer: viewer)
        try await admin.sessions.end(viewer: viewer, actor: viewer.actor(request: context))
        return WebPage.redirect(to: "/admin/login", headers: [.setCookie: admin.sessions.cookie.expired])
    }

    // MARK: Checks

    private func throttled(_ viewer: StaffViewer) -> String? {
        admin.codeThrottle.refusal(viewer.staff.id, now: admin.clock.nowMilliseconds, "Too many wrong codes.")
    }
}

extension String {
    /// Groups of `size` characters separated by spaces (a secret to type by hand).
    func chunked(_ size: Int) -> String {
        var groups: [String] = []
        var rest = Substring(self)
        while !rest.isEmpty {
            groups.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return groups.joined(separator: " ")
    }
}
