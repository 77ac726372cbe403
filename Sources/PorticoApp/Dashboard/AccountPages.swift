import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// The signed-in user's own account (`/dashboard/account`): their address and
/// whether it is confirmed, a new password (the current one required; every
/// other session ends and a notice goes to the address), and a new address,
/// which changes only once a link mailed to it is used. The confirmation
/// page itself needs no session: the mail may be opened on another device.
/// None of it depends on the organization being viewed, so it works while
/// that organization is suspended.
struct AccountPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard
    let links: EmailConfirmationLinks
    private var preSession: PreSessionForm { .dashboard(secure: dashboard.sessions.cookie.secure) }
    /// Confirmation mails asked for per account: the form must not flood an inbox.
    let mails: LoginThrottle

    init(dashboard: Dashboard) {
        self.dashboard = dashboard
        self.links = EmailConfirmationLinks(runtime: dashboard.runtime)
        let settings = dashboard.config.dashboard
        self.mails = LoginThrottle(attempts: settings.loginAttempts, windowMinutes: settings.loginWindowMinutes)
    }

    /// The account routes need a session; `registerConfirmation` takes the link's, which does not.
    func register(on router: RouterGroup<Context>) {
        router.get("account") { request, _ in
            let off = request.uri.queryParameters.get("two_factor") == "off"
            return try await self.page(try await dashboard.viewer(request), notice: off ? "Two-factor sign-in is off." : nil)
        }
        router.post("account/password") { request, context in try await self.changePassword(request, context: context) }
        router.post("account/email") { request, context in try await self.changeEmail(request, context: context) }
        router.post("account/verification") { request, context in try await self.resendVerification(request, context: context) }
        router.get("confirm-email/:token") { request, context in try await self.confirmationForm(request, context: context) }
        router.post("confirm-email/:token") { request, context in try await self.confirm(request, context: context) }
    }

    private func page(
        _ viewer: Viewer,
        notice: String? = nil,
        passwordError: String? = nil,
        emailError: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let user = viewer.user
        let confirmed: HTML =
            user.isEmailVerified
            ? "confirmed"
            : """
            not confirmed yet: live mode opens once it is.
            <form method="post" action="/dashboard/account/verification" class="inline">\(Layout.csrf(viewer))
            <button type="submit">Send the link again</button></form>
            """
        let body: HTML = """
            <h1>Your account</h1>
            \(Layout.facts(caption: "Account", [("Name", "\(user.name ?? "—")"), ("Email", "\(user.email) (\(confirmed))"), ("Since", Layout.time(user.createdAt))]))
            <section aria-labelledby="password-heading"><h2 id="password-heading">Password</h2>
            <p>Every other session of your account is signed out when the password changes, and a notice goes to \(user.email).</p>
            \(Layout.alert(passwordError))
            <form method="post" action="/dashboard/account/password">\(Layout.csrf(viewer))
            <p><label for="current_password">Current password</label><input id="current_password" name="current_password" type="password" autocomplete="current-password" required></p>
            <p><label for="new_password">New password (at least 12 characters)</label><input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="12" required></p>
            <p><button type="submit">Change password</button></p>
            </form></section>
            \(try await twoFactorSection(viewer))
            <section aria-labelledby="email-heading"><h2 id="email-heading">Email address</h2>
            <p>A link goes to the new address; the account moves to it once the link is used (within \(EmailConfirmationLinks.validHours) hours).
            A notice goes to \(user.email).</p>
            \(Layout.alert(emailError))
            <form method="post" action="/dashboard/account/email">\(Layout.csrf(viewer))
            <p><label for="email">New email</label><input id="email" name="email" type="email" autocomplete="email" required></p>
            <p><label for="email_password">Current password</label><input id="email_password" name="current_password" type="password" autocomplete="current-password" required></p>
            <p><button type="submit">Send a confirmation link</button></p>
            </form></section>
            """
        return WebPage.response(Layout.page(viewer, title: "Your account", current: "/dashboard/account", notice: notice, body: body), status: status)
    }

    private func twoFactorSection(_ viewer: Viewer) async throws -> HTML {
        let user = viewer.user
        let state: HTML
        if let since = user.totpEnabledAt {
            let left = try await dashboard.store.unusedRecoveryCodes(.user, id: user.id)
            let requiring = viewer.organizations.first { $0.organization.requireTwoFactor }
            let off: HTML =
                requiring.map { "<p>\($0.organization.name) requires it of its members, so it stays on.</p>" }
                    ?? """
                    <form method="post" action="\(TwoFactorPages.setup)/disable">\(Layout.csrf(viewer))
                    <p><label for="off_password">Current password</label><input id="off_password" name="current_password" type="password" autocomplete="current-password" required></p>
                    <p><label for="off_code">Code from your authenticator app, or a recovery code</label><input id="off_code" name="code" autocomplete="one-time-code" required></p>
                    <p><button type="submit">Turn off two-factor sign-in</button></p>
                    </form>
                    """
            state = "<p>On since \(Layout.time(since)); \(left) recovery code\(left == 1 ? "" : "s") left.</p>\(off)"
        } else {
            state = "<p>Off: signing in takes your password alone. <a href=\"\(TwoFactorPages.setup)\">Set up two-factor sign-in</a></p>"
        }
        return """
            <section aria-labelledby="two-factor-heading"><h2 id="two-factor-heading">Two-factor sign-in</h2>
            \(state)</section>
            """
    }

    /// The current password, checked under the sign-in throttle of the account's address; a refusal to show, or nil.
    private func refusal(_ password: String, of viewer: Viewer) async throws -> (String, HTTPResponse.Status)? {
        let now = dashboard.clock.nowMilliseconds
        if let refusal = dashboard.throttle.refusal(viewer.user.email, now: now, "Too many attempts for this account.") {
            return (refusal, .tooManyRequests)
        }
        // Counted before the check, cleared after a success: parallel guesses cannot all pass the limit.
        dashboard.throttle.recordFailure(viewer.user.email, now: now)
        guard try await dashboard.verifyPassword(password, user: viewer.user) else {
            return ("The current password is not right.", .unauthorized)
        }
        dashboard.throttle.recordSuccess(viewer.user.email)
        return nil
    }

    private func changePassword(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        if let (error, status) = try await refusal(form["current_password"] ?? "", of: viewer) {
            return try await page(viewer, passwordError: error, status: status)
        }
        let password = form["new_password"] ?? ""
        do {
            _ = try AccountService.checkedCredentials(email: viewer.user.email, password: password)
        } catch let error as KeyRequestError {
            return try await page(viewer, passwordError: error.description.sentence, status: .badRequest)
        }
        let hash = try await dashboard.hashPassword(password)
        let now = dashboard.clock.nowMilliseconds
        let notice = MailAddress(viewer.user.email).map {
            dashboard.runtime.mail.compose(
                kind: "password_changed",
                to: $0,
                .passwordChanged(accountURL: "\(dashboard.runtime.baseURL.value)/dashboard/login"),
                organizationId: nil,
                at: now
            )
        }
        let audit = viewer.actor(request: context)
            .entry("user.password_changed", organizationID: nil, targetType: "user", targetID: viewer.user.id, at: now)
        try await dashboard.store.changePassword(
            userId: viewer.user.id,
            passwordHash: hash,
            keepingSession: viewer.session.idHash,
            mail: notice,
            audit: audit
        )
        return try await page(viewer, notice: "Your password was changed. Every other session of your account was signed out.")
    }

    private func changeEmail(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        let email = (form.text("email") ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard EmailAddress.isPlausible(email), let address = MailAddress(email) else {
            return try await page(viewer, emailError: "'\(email)' is not an email address.", status: .badRequest)
        }
        guard email != viewer.user.email.lowercased() else {
            return try await page(viewer, emailError: "That is already your address.", status: .badRequest)
        }
        if let (error, status) = try await refusal(form["current_password"] ?? "", of: viewer) {
            return try await page(viewer, emailError: error, status: status)
        }
        let now = dashboard.clock.nowMilliseconds
        if let refusal = mails.refusal(viewer.user.id, now: now, "Too many links asked for.") {
            return try await page(viewer, emailError: refusal, status: .tooManyRequests)
        }
        mails.recordFailure(viewer.user.id, now: now)
        // An address another account has gets the same answer and no mail: the form must not tell who has an account.
        if try await dashboard.store.user(email: email) == nil {
            let (link, mail) = links.make(for: viewer.user, email: address, purpose: .change, at: now)
            let oldAddress = MailAddress(viewer.user.email).map {
                dashboard.runtime.mail.compose(
                    kind: "email_change_requested",
                    to: $0,
                    .addressChangeRequested(newEmail: email, accountURL: "\(dashboard.runtime.baseURL.value)/dashboard/account"),
                    organizationId: nil,
                    at: now
                )
            }
            let audit = viewer.actor(request: context).entry(
                "user.email_change_requested",
                organizationID: nil,
                targetType: "user",
                targetID: viewer.user.id,
                details: ["email": email],
                at: now
            )
            try await dashboard.store.insertEmailConfirmation(link, mails: [mail] + (oldAddress.map { [$0] } ?? []), audit: audit)
        }
        return try await page(
            viewer,
            notice:
                "A confirmation link is on its way to \(email). Your address changes once it is used, within \(EmailConfirmationLinks.validHours) hours."
        )
    }

    private func resendVerification(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        _ = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        guard !viewer.user.isEmailVerified, let address = MailAddress(viewer.user.email) else {
            return try await page(viewer, notice: "Your address is confirmed already.")
        }
        let now = dashboard.clock.nowMilliseconds
        if let refusal = mails.refusal(viewer.user.id, now: now, "Too many links asked for.") {
            return try await page(viewer, notice: refusal, status: .tooManyRequests)
        }
        mails.recordFailure(viewer.user.id, now: now)
        let (link, mail) = links.make(for: viewer.user, email: address, purpose: .verify, at: now)
        try await dashboard.store.insertEmailConfirmation(link, mails: [mail], audit: nil)
        return try await page(viewer, notice: "A new confirmation link is on its way to \(viewer.user.email).")
    }

    // MARK: The link

    /// A page with a button, not a change on GET: mail scanners and link previews open links.
    private func confirmationForm(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let link = try await dashboard.store.emailConfirmation(tokenHash: SessionManager.hash(token), now: dashboard.clock.nowMilliseconds)
        else { return Self.expired }
        return preSession.page(request, title: "Confirm your email address", status: .ok) { formToken in
            """
            <h1>Confirm your email address</h1>
            <p>\(link.purpose == .change ? "Move your Portico account to" : "Confirm") <strong>\(link.email)</strong>\(link.purpose == .change ? "." : " as your Portico address.")</p>
            <form method="post" action="/dashboard/confirm-email/\(token)">
            <input type="hidden" name="form_token" value="\(formToken)">
            <p><button type="submit">Confirm \(link.email)</button></p>
            </form>
            """
        }
    }

    private func confirm(_ request: Request, context: Context) async throws -> Response {
        var request = request
        _ = try await preSession.checked(&request, context: context)
        let token = try context.parameters.require("token")
        let ip = context.clientIP?.description
        let requestID = context.requestID
        let now = dashboard.clock.nowMilliseconds
        let user: UserRecord?
        do {
            user = try await dashboard.store.confirmEmail(tokenHash: SessionManager.hash(token), now: now) { link, before in
                AuditActor(type: "user", id: link.userId, ip: ip, requestID: requestID).entry(
                    link.purpose == .change ? "user.email_changed" : "user.email_verified",
                    organizationID: nil,
                    targetType: "user",
                    targetID: link.userId,
                    details: link.purpose == .change ? ["from": before.email, "to": link.email] : ["email": link.email],
                    at: now
                )
            }
        } catch StoreError.conflict {
            return DashboardMiddleware.message(
                "This address is taken",
                "Another Portico account has this address now, so yours keeps its old one.",
                status: .conflict
            )
        }
        guard let user else { return Self.expired }
        return DashboardMiddleware.message("Address confirmed", "Your Portico account's address is \(user.email).", status: .ok)
    }

    private static var expired: Response {
        DashboardMiddleware.message(
            "This link no longer works",
            "A confirmation link works once, for \(EmailConfirmationLinks.validHours) hours, and a newer one replaces it. Ask for a new one on your account page.",
            status: .notFound
        )
    }
}

/// Single-use links that confirm an address, for open sign-up and address
/// changes: only the SHA-256 of each token is stored (like reset links), and
/// the link goes by mail to the address it confirms, in the transaction
/// that stores it.
struct EmailConfirmationLinks: Sendable {
    static let validHours = 24
    let runtime: PorticoRuntime

    func make(
        for user: UserRecord,
        email: MailAddress,
        purpose: EmailConfirmationRecord.Purpose,
        at now: Int64
    ) -> (EmailConfirmationRecord, MailRecord) {
        let token = Base62.random(count: 40)
        let link = EmailConfirmationRecord(
            tokenHash: SessionManager.hash(token),
            userId: user.id,
            email: email.address,
            purpose: purpose,
            createdAt: now,
            expiresAt: now + Int64(Self.validHours) * 3_600_000
        )
        let words = MailContentTemplate.confirmAddress(
            link: "\(runtime.baseURL.value)/dashboard/confirm-email/\(token)",
            email: email.address,
            isChange: purpose == .change,
            validHours: Self.validHours
        )
        return (link, runtime.mail.compose(kind: "email_confirmation", to: email, words, organizationId: nil, at: now))
    }
}
