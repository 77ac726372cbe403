import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore

extension HTTPField.Name {
    static let secFetchSite = Self("Sec-Fetch-Site")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}

/// What every HTML response of Portico's (dashboard and docs) carries.
enum WebPage {
    /// No script at all, styles only from our own stylesheet, forms only to
    /// ourselves, never framed: an injected tag can neither run nor send a form elsewhere.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func response(_ html: HTML, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            .xFrameOptions: "DENY",
            .referrerPolicy: "same-origin",
            .cacheControl: "no-store",
        ]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html.text)))
    }

    /// A 303 to `location` (after a form post: the browser then GETs it).
    static func redirect(to location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: .seeOther, headers: headers)
    }

    /// A compiled-in static file (stylesheet, icon), cacheable for an hour.
    static func asset(_ text: String, contentType: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "public, max-age=3600", .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// An `application/x-www-form-urlencoded` body, as posted by the dashboard's forms.
struct FormData: Sendable {
    private var fields: [String: [String]] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[decode(parts[0]), default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func read(_ request: inout Request, context: PorticoRequestContext) async throws -> FormData {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return FormData(String(buffer: buffer))
    }

    /// The posted form of a signed-in page, once it carries the session's CSRF token (`csrf_token`).
    static func read(_ request: inout Request, context: PorticoRequestContext, csrfToken: String) async throws -> FormData {
        let form = try await read(&request, context: context)
        guard let token = form["csrf_token"], ConstantTime.equal(token.utf8, csrfToken.utf8) else { throw DashboardError.staleForm }
        return form
    }

    subscript(_ name: String) -> String? { fields[name]?.first }

    /// Trimmed; nil when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = fields[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    func all(_ name: String) -> [String] { fields[name] ?? [] }
}
