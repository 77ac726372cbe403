import HTTPTypes
import Hummingbird
import PorticoCore

/// Forms posted before there is a session to carry a CSRF token (the
/// dashboard's sign-in, sign-up and invitations; the console's sign-in)
/// carry a double-submit token instead: a random value in a short-lived
/// `SameSite=Strict` cookie, scoped to its area's path, that the form must
/// repeat; `Secure` when the instance is reached over HTTPS, as its session
/// cookie is.
struct PreSessionForm: Sendable {
    let cookieName: String
    let path: String
    let secure: Bool

    static func dashboard(secure: Bool) -> PreSessionForm { PreSessionForm(cookieName: "portico_form", path: "/dashboard", secure: secure) }
    static func admin(secure: Bool) -> PreSessionForm { PreSessionForm(cookieName: "portico_admin_form", path: "/admin", secure: secure) }

    private var attributes: String { "Path=\(path); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "") }

    /// A page whose form is posted before sign-in: `body` gets the form token, and the cookie is set when new.
    func page(_ request: Request, title: String, status: HTTPResponse.Status, body: (String) -> HTML) -> Response {
        let (token, cookie) = token(request)
        return WebPage.response(Layout.bare(title: title, body: body(token)), status: status, headers: cookie.map { [.setCookie: $0] } ?? [:])
    }

    /// The token for a form shown before sign-in, and the cookie to set when the browser has none yet.
    func token(_ request: Request) -> (String, String?) {
        if let existing = request.cookies[cookieName]?.value, existing.count == 32 { return (existing, nil) }
        let token = Base62.random(count: 32)
        return (token, "\(cookieName)=\(token); Max-Age=3600; \(attributes)")
    }

    /// The posted form, once its token matches the cookie's.
    func checked(_ request: inout Request, context: PorticoRequestContext) async throws -> FormData {
        let form = try await FormData.read(&request, context: context)
        guard let cookie = request.cookies[cookieName]?.value, let field = form["form_token"], ConstantTime.equal(cookie.utf8, field.utf8)
        else { throw DashboardError.staleForm }
        return form
    }

    /// Clears the token once signed in.
    var expiredCookie: HTTPField { HTTPField(name: .setCookie, value: "\(cookieName)=; Max-Age=0; \(attributes)") }
}
