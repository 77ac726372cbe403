import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

@testable import PorticoApp

/// A cookie-keeping client for dashboard tests: what a browser does with
/// `Set-Cookie`, and the hidden form fields it posts back.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    private(set) var cookies: [String: String] = [:]
    /// The `Set-Cookie` lines of the last response, as sent.
    private(set) var lastSetCookies: [String] = []

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    @discardableResult
    func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(.get, path, headers: headers)
    }

    /// Posts a form; `Sec-Fetch-Site: same-origin` as a browser would send from our own page unless `headers` say otherwise.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], headers: HTTPFields = [.secFetchSite: "same-origin"]) async throws -> TestResponse {
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, path, headers: headers, body: body)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil) async throws -> TestResponse {
        var headers = headers
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        lastSetCookies = response.headers[values: .setCookie]
        for line in lastSetCookies {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    func setCookie(_ name: String, _ value: String?) { cookies[name] = value }

    /// Signs in through the form; returns the response to the post.
    @discardableResult
    func signIn(_ email: String, _ password: String, next: String = "/dashboard") async throws -> TestResponse {
        let form = try await get("/dashboard/login")
        return try await post(
            "/dashboard/login",
            [
                ("form_token", Self.field("form_token", in: form.text) ?? ""), ("email", email), ("password", password), ("next", next),
            ]
        )
    }

    /// The CSRF token on the last page that had a signed-in form.
    func csrfToken(_ path: String = "/dashboard") async throws -> String {
        let page = try await get(path)
        return Self.field("csrf_token", in: page.text) ?? ""
    }

    /// The value of the first hidden input named `name`.
    static func field(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? text
    }
}
