import Foundation
import HTTPTypes
import Hummingbird
import PorticoCore
import PorticoStore

/// Sign-in, sign-out, sign-up (when `dashboard.signup` is "open"),
/// invitation links, the organization switcher and the mode toggle.
///
/// Forms without a session yet (sign-in, sign-up, invitations) carry a
/// double-submit token (`PreSessionForm`).
struct AuthPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    private var preSession: PreSessionForm { .dashboard(secure: dashboard.sessions.cookie.secure) }

    func register(on router: RouterGroup<Context>) {
        router.get("login") { request, _ in try await self.loginForm(request) }
        router.post("login") { request, context in try await self.login(request, context: context) }
        router.post("logout") { request, context in try await self.logout(request, context: context) }
        router.post("switch") { request, context in try await self.switchOrganization(request, context: context) }
        router.post("mode") { request, context in try await self.switchMode(request, context: context) }
        router.get("signup") { request, _ in try await self.signupForm(request) }
        router.post("signup") { request, context in try await self.signup(request, context: context) }
        router.get("invitations/:token") { request, context in try await self.invitationForm(request, context: context) }
        router.post("invitations/:token") { request, context in try await self.acceptInvitation(request, context: context) }
    }

    // MARK: Sign-in

    private func loginForm(_ request: Request, email: String = "", error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        if try await dashboard.sessions.viewer(of: request) != nil, error == nil { return WebPage.redirect(to: "/dashboard") }
        let next = Dashboard.safeReturnPath(request.uri.queryParameters.get("next"))
        let signup: HTML = dashboard.config.dashboard.signup == "open" ? "<p>No account? <a href=\"/dashboard/signup\">Sign up</a>.</p>" : ""
        let reset: HTML =
            request.uri.queryParameters.get("reset") == "1"
            ? "<p class=\"notice\" role=\"status\">Your password is changed and every session of your account is signed out. Sign in with the new one.</p>"
            : ""
        return preSession.page(request, title: "Sign in", status: status) { token in
            """
            <h1>Sign in to Portico</h1>
            \(reset)
            \(Layout.alert(error))
            <form method="post" action="/dashboard/login">
            <input type="hidden" name="form_token" value="\(token)">
            <input type="hidden" name="next" value="\(next)">
            <p><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="\(email)"></p>
            <p><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></p>
            <p><button type="submit">Sign in</button></p>
            </form>
            <p><a href="/dashboard/password-reset">Forgot your password?</a></p>
            \(signup)
            """
        }
    }

    private func login(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let form = try await preSession.checked(&request, context: context)
        let email = (form.text("email") ?? "").lowercased()
        let password = form["password"] ?? ""
        let now = dashboard.clock.nowMilliseconds
        if let refusal = dashboard.throttle.refusal(email, now: now, "Too many sign-in attempts for this account.") {
            return try await loginForm(request, email: email, error: refusal, status: .tooManyRequests)
        }
        let user = try await dashboard.store.user(email: email)
        guard try await dashboard.verifyPassword(password, user: user), let user,
            let organization = try await dashboard.store.organizations(ofUser: user.id).first
        else {
            dashboard.throttle.recordFailure(email, now: now)
            return try await loginForm(request, email: email, error: "Incorrect email or password.", status: .unauthorized)
        }
        dashboard.throttle.recordSuccess(email)
        let actor = AuditActor(type: "user", id: user.id, ip: context.clientIP?.description, requestID: context.requestID)
        // A new session id at every sign-in: whatever session cookie the browser held is dropped.
        if try await dashboard.sessions.session(of: request) != nil { try await dashboard.sessions.end(request, actor: actor, viewer: nil) }
        let pending = user.hasTwoFactor
        let cookie = try await dashboard.sessions.start(
            userId: user.id,
            organizationId: organization.organization.id,
            actor: actor,
            secondFactorPending: pending
        )
        var headers: HTTPFields = [.setCookie: cookie]
        headers.append(preSession.expiredCookie)
        let next = Dashboard.safeReturnPath(form["next"])
        let step = next == "/dashboard" ? TwoFactorPages.step : "\(TwoFactorPages.step)?next=\(Dashboard.encodedReturnPath(next))"
        return WebPage.redirect(to: pending ? step : next, headers: headers)
    }

    private func logout(_ request: Request, context: Context) async throws -> Response {
        var request = request
        // Any session may end, one still waiting for its second factor included.
        guard let viewer = try await dashboard.sessions.session(of: request) else { return WebPage.redirect(to: "/dashboard/login") }
        _ = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        try await dashboard.sessions.end(request, actor: viewer.actor(request: context), viewer: viewer)
        return WebPage.redirect(to: "/dashboard/login", headers: [.setCookie: dashboard.sessions.cookie.expired])
    }

    // MARK: Organization and mode

    private func switchOrganization(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        guard let id = form["organization"], viewer.organizations.contains(where: { $0.organization.id == id }) else {
            throw DashboardError.notFound
        }
        try await dashboard.sessions.update(viewer, organizationId: id)
        return WebPage.redirect(to: "/dashboard")
    }

    private func switchMode(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer, whileSuspended: true)
        let live = form["livemode"] == "1"
        guard !live || viewer.user.isEmailVerified else {
            return DashboardMiddleware.message(
                "Confirm your email address first",
                "Live mode opens once \(viewer.user.email) is confirmed: use the link mailed to it, or send a new one from your account page.",
                status: .forbidden
            )
        }
        try await dashboard.sessions.update(viewer, livemode: live)
        let back = Dashboard.safeReturnPath(form["return_to"])
        // A detail page of the other mode's object would be a 404: go back to its list.
        return WebPage.redirect(to: Layout.navigation.first(where: { $0.path == back })?.path ?? "/dashboard")
    }

    // MARK: Sign-up and invitations

    private func signupForm(
        _ request: Request,
        error: String? = nil,
        values: FormData = FormData(""),
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard dashboard.config.dashboard.signup == "open" else { throw DashboardError.notFound }
        return preSession.page(request, title: "Sign up", status: status) { token in
            """
            <h1>Create a Portico account</h1>
            \(Layout.alert(error))
            <form method="post" action="/dashboard/signup">
            <input type="hidden" name="form_token" value="\(token)">
            <p><label for="name">Your name</label><input id="name" name="name" autocomplete="name" value="\(values["name"])"></p>
            <p><label for="organization">Organization name</label><input id="organization" name="organization" required value="\(values["organization"])"></p>
            <p><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="\(values["email"])"></p>
            <p><label for="password">Password (at least 12 characters)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required></p>
            <p><button type="submit">Create account</button></p>
            </form>
            <p>Have an account? <a href="/dashboard/login">Sign in</a>.</p>
            """
        }
    }

    private func signup(_ request: Request, context: Context) async throws -> Response {
        guard dashboard.config.dashboard.signup == "open" else { throw DashboardError.notFound }
        var request = request
        let form = try await preSession.checked(&request, context: context)
        let accounts = dashboard.runtime.accounts
        let actor = AuditActor(type: "user", id: nil, ip: context.clientIP?.description, requestID: context.requestID)
        let links = EmailConfirmationLinks(runtime: dashboard.runtime)
        let now = dashboard.clock.nowMilliseconds
        do {
            let (user, organization) = try await accounts.signUp(
                email: form.text("email") ?? "",
                password: form["password"] ?? "",
                name: form.text("name"),
                organizationName: form.text("organization") ?? "",
                by: actor,
                confirmation: { user in MailAddress(user.email).map { links.make(for: user, email: $0, purpose: .verify, at: now) } }
            )
            let cookie = try await dashboard.sessions.start(userId: user.id, organizationId: organization.id, actor: actor)
            return WebPage.redirect(to: "/dashboard", headers: [.setCookie: cookie])
        } catch let error as KeyRequestError {
            return try await signupForm(request, error: error.description.sentence, values: form, status: .badRequest)
        } catch StoreError.conflict {
            // The same answer as for any other refusal would hide that the email has an account, but the
            // owner of that email gains nothing from that secret here; say it plainly so they sign in instead.
            return try await signupForm(
                request,
                error: "An account with this email already exists. Sign in instead.",
                values: form,
                status: .conflict
            )
        }
    }

    private func invitationForm(
        _ request: Request,
        context: Context,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (invitation, existing) = try await invitation(request, context: context)
        let organization = try await dashboard.store.organization(id: invitation.organizationId)
        let action = "/dashboard/invitations/\(try context.parameters.require("token"))"
        let fields: HTML =
            existing != nil
            ? """
            <p>You already have a Portico account. Enter its password to join.</p>
            <p><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></p>
            """
            : """
            <p><label for="name">Your name</label><input id="name" name="name" autocomplete="name"></p>
            <p><label for="password">Choose a password (at least 12 characters)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required></p>
            """
        return preSession.page(request, title: "Join \(organization?.name ?? "an organization")", status: status) { token in
            """
            <h1>Join \(organization?.name ?? "an organization") on Portico</h1>
            <p>Invitation for <strong>\(invitation.email)</strong> as <strong>\(Role(rawValue: invitation.role)?.title ?? invitation.role)</strong>.</p>
            \(Layout.alert(error))
            <form method="post" action="\(action)">
            <input type="hidden" name="form_token" value="\(token)">
            \(fields)
            <p><button type="submit">Join</button></p>
            </form>
            """
        }
    }

    private func acceptInvitation(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let form = try await preSession.checked(&request, context: context)
        let (invitation, existing) = try await invitation(request, context: context)
        if try await dashboard.store.organization(id: invitation.organizationId)?.isSuspended ?? true { throw DashboardError.suspended }
        let password = form["password"] ?? ""
        let now = dashboard.clock.nowMilliseconds
        let actor = AuditActor(type: "user", id: existing?.id, ip: context.clientIP?.description, requestID: context.requestID)
        var newUser: UserRecord?
        if let existing {
            if dashboard.throttle.retryAfter(existing.email, now: now) != nil {
                return try await invitationForm(request, context: context, error: "Too many attempts. Try again later.", status: .tooManyRequests)
            }
            guard try await dashboard.verifyPassword(password, user: existing) else {
                dashboard.throttle.recordFailure(existing.email, now: now)
                return try await invitationForm(request, context: context, error: "Incorrect password.", status: .unauthorized)
            }
        } else {
            guard dashboard.config.dashboard.signup != "closed" else {
                return DashboardMiddleware.message(
                    "Accounts are created by the operator",
                    "This Portico does not create accounts from the dashboard. Ask its operator.",
                    status: .forbidden
                )
            }
            do {
                newUser = try dashboard.runtime.accounts.newUser(email: invitation.email, password: password, name: form.text("name"))
            } catch let error as KeyRequestError {
                return try await invitationForm(request, context: context, error: error.description.sentence, status: .badRequest)
            }
        }
        let tokenHash = SessionManager.hash(try context.parameters.require("token"))
        let audit = actor.entry(
            "member.joined",
            organizationID: invitation.organizationId,
            targetType: "invitation",
            targetID: invitation.id,
            details: ["email": invitation.email, "role": invitation.role],
            at: now
        )
        guard
            let (_, userId) = try await dashboard.store.acceptInvitation(
                tokenHash: tokenHash,
                newUser: newUser,
                existingUserId: existing?.id,
                now: now,
                audit: audit
            )
        else { throw DashboardError.notFound }
        // An existing account with a second factor joins, then signs in with it like anywhere else.
        let pending = existing?.hasTwoFactor == true
        let cookie = try await dashboard.sessions.start(
            userId: userId,
            organizationId: invitation.organizationId,
            actor: actor,
            secondFactorPending: pending
        )
        return WebPage.redirect(to: pending ? TwoFactorPages.step : "/dashboard", headers: [.setCookie: cookie])
    }

    /// The open invitation named by the URL's token, and the account its email already has, if any.
    private func invitation(_ request: Request, context: Context) async throws -> (InvitationRecord, UserRecord?) {
        let token = try context.parameters.require("token")
        guard let invitation = try await dashboard.store.invitation(tokenHash: SessionManager.hash(token), now: dashboard.clock.nowMilliseconds)
        else {
            throw DashboardError.badRequest("This invitation link is not valid: it was used already, it expired, or it was mistyped.")
        }
        return (invitation, try await dashboard.store.user(email: invitation.email))
    }
}

extension String {
    /// A lowercase message from a lower layer as a sentence: "a password must …" → "A password must ….".
    var sentence: String { prefix(1).uppercased() + dropFirst() + "." }
}
