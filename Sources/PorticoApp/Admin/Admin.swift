import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// What every console page shares: sessions, the throttles, and the checks
/// every handler starts with (a verified staff session; a form of ours).
final class Admin: Sendable {
    typealias Context = PorticoRequestContext
    static let home = "/admin"

    let runtime: PorticoRuntime
    /// For its timing-safe password check (the same decoy hash for unknown emails).
    let dashboard: Dashboard
    let sessions: StaffSessions
    /// Failed passwords per email.
    let throttle: LoginThrottle
    /// Failed second-factor codes per account: six digits must not be guessable.
    let codeThrottle: LoginThrottle

    var store: any PorticoStorage { runtime.store }
    var clock: any PorticoClock { runtime.clock }
    var staff: StaffService { runtime.staff }

    init(runtime: PorticoRuntime, dashboard: Dashboard) {
        self.runtime = runtime
        self.dashboard = dashboard
        let settings = runtime.config.dashboard
        self.sessions = StaffSessions(
            store: runtime.store,
            clock: runtime.clock,
            settings: settings,
            secureCookies: dashboard.sessions.cookie.secure
        )
        self.throttle = LoginThrottle(attempts: settings.loginAttempts, windowMinutes: settings.loginWindowMinutes)
        self.codeThrottle = LoginThrottle(attempts: settings.loginAttempts, windowMinutes: settings.loginWindowMinutes)
    }

    /// The signed-in, second-factor-verified viewer; otherwise a redirect to sign-in or to the second factor.
    func viewer(_ request: Request) async throws -> StaffViewer {
        guard let viewer = try await sessions.viewer(of: request) else {
            throw DashboardError.signInRequired(returnTo: request.uri.path)
        }
        guard viewer.isVerified else { throw DashboardError.redirect(to: viewer.staff.isEnrolled ? "/admin/two-factor" : "/admin/enroll") }
        return viewer
    }

    /// The posted form, after checking it carries this session's CSRF token.
    func form(_ request: inout Request, context: Context, viewer: StaffViewer) async throws -> FormData {
        try await FormData.read(&request, context: context, csrfToken: viewer.csrfToken)
    }
}

/// The console's page shell: its own navigation and a plain sign-out form, no script.
enum AdminLayout {
    static let navigation: [Layout.NavItem] = [
        Layout.NavItem(path: "/admin", title: "Organizations"),
        Layout.NavItem(path: "/admin/health", title: "Platform health"),
        Layout.NavItem(path: "/admin/audit", title: "Staff audit"),
        Layout.NavItem(path: "/admin/mail", title: "Mail"),
    ]

    static func page(_ viewer: StaffViewer, title: String, current: String, notice: String? = nil, body: HTML) -> HTML {
        let nav = Layout.menu(navigation, current: current)
        return Layout.document(
            title: "\(title) — Portico console",
            body: """
                <a class="skip" href="#main">Skip to content</a>
                <header class="top console">
                <a class="brand" href="/admin">Portico console</a>
                <form method="get" action="/admin/find" class="inline" role="search">
                <label for="find" class="visually-hidden">Find an id or email</label>
                <input id="find" name="q" type="search" placeholder="req_…, evt_…, org_…, an email">
                <button type="submit">Find</button></form>
                <form method="post" action="/admin/logout" class="inline">\(csrf(viewer))
                <span class="who">\(viewer.staff.email) · Staff</span>
                <button type="submit">Sign out</button></form>
                </header>
                <div class="frame">
                <nav aria-label="Console">\(Layout.sideMenu(nav))</nav>
                <main id="main">
                \(notice.map { "<p class=\"notice\" role=\"status\">\($0)</p>" as HTML })
                \(body)
                </main>
                </div>
                """
        )
    }

    static func csrf(_ viewer: StaffViewer) -> HTML { Layout.csrfField(viewer.csrfToken) }
}
