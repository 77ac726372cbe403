import HTTPTypes
import Hummingbird
import Logging

/// Why a dashboard request could not be served; rendered as a page, never as problem+json.
enum DashboardError: Error {
    /// Not signed in (or the session ended): back to the sign-in form, then to `returnTo`.
    case signInRequired(returnTo: String)
    case forbidden(Role)
    case notFound
    /// A form that failed its checks: a missing or stale CSRF token, or a cross-site post.
    case staleForm
    case badRequest(String)
    /// Somewhere else first (the console's two-factor step before any page).
    case redirect(to: String)
    /// Staff suspended the organization: its dashboard is read-only.
    case suspended
}

/// Wraps every `/dashboard` route: refuses state-changing requests that a
/// browser says come from another site (`Sec-Fetch-Site`, else `Origin`
/// against `Host`; the per-session CSRF token is checked by each form's
/// handler on top of this), and turns errors into pages.
struct DashboardMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let logger: Logger
    /// The area's root: `/dashboard`, or `/admin` for the operator console (its sign-in is `home/login`).
    var home = "/dashboard"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            if request.method != .get, request.method != .head, !Self.isSameOrigin(request) { throw DashboardError.staleForm }
            return try await next(request, context)
        } catch let error as DashboardError {
            return Self.page(for: error, home: home)
        } catch let error as KeyRequestError {
            return Self.message("That did not work", error.description, status: .badRequest, home: home)
        } catch let error as APIError {
            return Self.message("That did not work", error.detail, status: error.status, home: home)
        } catch {
            logger.error("dashboard request failed", metadata: ["request_id": "\(context.requestID)", "error": "\(error)"])
            return Self.message(
                "Something went wrong",
                "Portico could not complete this request. Request id: \(context.requestID).",
                status: .internalServerError,
                home: home
            )
        }
    }

    /// Whether a state-changing request comes from our own pages, by the
    /// browser's word. Clients that send neither header (curl, old
    /// browsers) still need the form's CSRF token.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite] { return site == "same-origin" || site == "none" }
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority,
            let schemeEnd = origin.range(of: "://")
        else { return false }
        return origin[schemeEnd.upperBound...].lowercased() == host.lowercased()
    }

    static func page(for error: DashboardError, home: String = "/dashboard") -> Response {
        switch error {
        case .signInRequired(let returnTo):
            return WebPage.redirect(to: "\(home)/login?next=\(Dashboard.encodedReturnPath(returnTo))")
        case .redirect(let location):
            return WebPage.redirect(to: location)
        case .forbidden(let role):
            return message("Not allowed", "Your role (\(role.title)) cannot do this. Ask an owner or admin of the organization.", status: .forbidden)
        case .notFound:
            return message("Not found", "There is nothing here, or it belongs to another organization or mode.", status: .notFound, home: home)
        case .staleForm:
            return message(
                "This form has expired",
                "Go back, reload the page and try again. (Forms only work from Portico's own pages.)",
                status: .forbidden,
                home: home
            )
        case .badRequest(let detail):
            return message("That did not work", detail, status: .badRequest, home: home)
        case .suspended:
            return message(
                "This organization is suspended",
                "Its dashboard is read-only and its API keys are refused until the operator reactivates it. Nothing was changed.",
                status: .forbidden,
                home: home
            )
        }
    }

    static func message(_ title: String, _ detail: String, status: HTTPResponse.Status, home: String = "/dashboard") -> Response {
        WebPage.response(
            Layout.bare(
                title: title,
                body: "<h1>\(title)</h1><p>\(detail)</p><p><a href=\"\(home)\">Back to the \(home == Admin.home ? "console" : "dashboard")</a></p>"
            ),
            status: status
        )
    }
}
