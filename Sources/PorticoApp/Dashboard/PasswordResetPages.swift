import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// "Forgot your password?": a link by mail to choose a new one. The token is
/// kept only hashed, works once, for an hour; asking for a link gives the same
/// answer whether or not the address has an account (and a throttled address
/// gets the same answer without a new mail); using the link signs out every
/// session of the account and kills its other links.
struct PasswordResetPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard
    private var preSession: PreSessionForm { .dashboard(secure: dashboard.sessions.cookie.secure) }
    /// Mails asked for per address: a form must not become a way to flood someone's inbox.
    let requests: LoginThrottle

    static let validMinutes = 60

    init(dashboard: Dashboard) {
        self.dashboard = dashboard
        let settings = dashboard.config.dashboard
        self.requests = LoginThrottle(attempts: settings.loginAttempts, windowMinutes: settings.loginWindowMinutes)
    }

    func register(on router: RouterGroup<Context>) {
        router.get("password-reset") { request, _ in try await self.requestForm(request) }
        router.post("password-reset") { request, context in try await self.request(request, context: context) }
        router.get("password-reset/:token") { request, context in try await self.resetForm(request, context: context) }
        router.post("password-reset/:token") { request, context in try await self.reset(request, context: context) }
    }

    private func requestForm(_ request: Request, sentTo email: String? = nil) async throws -> Response {
        preSession.page(request, title: "Reset your password", status: .ok) { token in
            let sent: HTML =
                email.map {
                    "<p class=\"notice\" role=\"status\">If an account exists for \($0), a link to choose a new password is on its way. It works once, for \(Self.validMinutes) minutes.</p>"
                } ?? .empty
            return """
                <h1>Reset your password</h1>
                \(sent)
                <form method="post" action="/dashboard/password-reset">
                <input type="hidden" name="form_token" value="\(token)">
                <p><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required></p>
                <p><button type="submit">Send me a link</button></p>
                </form>
                <p><a href="/dashboard/login">Back to sign-in</a></p>
                """
        }
    }

    private func request(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let form = try await preSession.checked(&request, context: context)
        let email = (form.text("email") ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let now = dashboard.clock.nowMilliseconds
        // The same answer in every case; only a known, unthrottled address gets a mail.
        if EmailAddress.isPlausible(email), requests.retryAfter(email, now: now) == nil, let address = MailAddress(email),
            let user = try await dashboard.store.user(email: email)
        {
            requests.recordFailure(email, now: now)
            let token = Base62.random(count: 40)
            let link = "\(dashboard.runtime.baseURL.value)/dashboard/password-reset/\(token)"
            let mail = dashboard.runtime.mail.compose(
                kind: "password_reset",
                to: address,
                .passwordReset(link: link, validMinutes: Self.validMinutes),
                organizationId: nil,
                at: now
            )
            let reset = PasswordResetRecord(
                tokenHash: SessionManager.hash(token),
                userId: user.id,
                createdAt: now,
                expiresAt: now + Int64(Self.validMinutes) * 60_000
            )
            let audit = AuditActor(type: "user", id: user.id, ip: context.clientIP?.description, requestID: context.requestID)
                .entry("user.password_reset_requested", organizationID: nil, targetType: "user", targetID: user.id, at: now)
            try await dashboard.store.requestPasswordReset(reset, mail: mail, audit: audit)
        }
        return try await requestForm(request, sentTo: email)
    }

    private func resetForm(_ request: Request, context: Context, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let token = try context.parameters.require("token")
        guard try await dashboard.store.passwordReset(tokenHash: SessionManager.hash(token), now: dashboard.clock.nowMilliseconds) != nil else {
            return DashboardMiddleware.message(
                "This link no longer works",
                "A reset link works once, for \(Self.validMinutes) minutes. Ask for a new one from the sign-in page.",
                status: .notFound
            )
        }
        return preSession.page(request, title: "Choose a new password", status: status) { formToken in
            """
            <h1>Choose a new password</h1>
            \(Layout.alert(error))
            <form method="post" action="/dashboard/password-reset/\(token)">
            <input type="hidden" name="form_token" value="\(formToken)">
            <p><label for="password">New password (at least 12 characters)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required></p>
            <p><button type="submit">Set the password</button></p>
            </form>
            """
        }
    }

    private func reset(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let form = try await preSession.checked(&request, context: context)
        let token = try context.parameters.require("token")
        let password = form["password"] ?? ""
        let hash: String
        do {
            _ = try AccountService.checkedCredentials(email: "reset@portico.invalid", password: password)
            hash = try await dashboard.hashPassword(password)
        } catch let error as KeyRequestError {
            return try await resetForm(request, context: context, error: error.description.sentence, status: .badRequest)
        }
        let now = dashboard.clock.nowMilliseconds
        let ip = context.clientIP?.description
        let requestID = context.requestID
        let user = try await dashboard.store.resetPassword(tokenHash: SessionManager.hash(token), passwordHash: hash, now: now) { userId in
            AuditActor(type: "user", id: userId, ip: ip, requestID: requestID)
                .entry("user.password_reset", organizationID: nil, targetType: "user", targetID: userId, at: now)
        }
        guard user != nil else { return try await resetForm(request, context: context) }
        return WebPage.redirect(to: "/dashboard/login?reset=1", headers: HTTPFields([preSession.expiredCookie]))
    }
}
