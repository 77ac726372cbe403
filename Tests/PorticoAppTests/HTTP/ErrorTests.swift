import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import PorticoApp
@testable import PorticoStore

struct ErrorTests {
    static func expectProblem(_ response: TestResponse, status: HTTPResponse.Status, code: String, param: String? = nil) {
        #expect(response.status == status)
        #expect(response.headers[.contentType] == "application/problem+json")
        let problem = response.json
        #expect(problem["code"] as? String == code)
        #expect(problem["status"] as? Int == Int(status.code))
        #expect((problem["type"] as? String)?.hasSuffix("/docs/errors/\(code)") == true)
        #expect(problem["title"] as? String != nil)
        #expect(problem["detail"] as? String != nil)
        #expect(problem["request_id"] as? String == response.requestID)
        if let param { #expect(problem["param"] as? String == param) }
    }

    @Test func unknownRouteIs404Problem() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            Self.expectProblem(try await api.send(.get, "/v1/nothing-here", key: portico.testKey), status: .notFound, code: "route_not_found")
            Self.expectProblem(try await api.send(.get, "/nothing"), status: .notFound, code: "route_not_found")
        }
    }

    @Test func problemTypeLinksResolveToDocsPages() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let problem = try await api.send(.get, "/v1/customers")
            let type = try #require(problem.json["type"] as? String)
            let path = try #require(URL(string: type)?.path)
            let page = try await api.send(.get, path)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("authentication_required"))
            for code in ErrorCode.allCases {
                #expect(try await api.send(.get, "/docs/errors/\(code.rawValue)").status == .ok)
            }
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.put, "/v1/customers/cus_x", key: portico.testKey, json: "{}")
            Self.expectProblem(response, status: .methodNotAllowed, code: "method_not_allowed")
            #expect(response.headers[.allow] == "GET, PATCH, DELETE")
        }
    }

    @Test(arguments: ["{", "[1,2]", "\"text\"", "{\"name\": }"])
    func malformedJSONIs400(body: String) async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            Self.expectProblem(
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: body),
                status: .badRequest,
                code: "invalid_json"
            )
        }
    }

    @Test func validationErrorNamesTheParam() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            Self.expectProblem(
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name": 42}"#),
                status: .badRequest,
                code: "parameter_invalid",
                param: "name"
            )
            Self.expectProblem(
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"email": "not-an-email"}"#),
                status: .badRequest,
                code: "parameter_invalid",
                param: "email"
            )
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        let portico = try await TestPortico.make { $0.server.maxBodyBytes = 1_024 }
        try await portico.run { (api: APIClient) async throws in
            let big = #"{"description": "\#(String(repeating: "x", count: 2_000))"}"#
            Self.expectProblem(
                try await api.send(.post, "/v1/customers", key: portico.testKey, json: big),
                status: .contentTooLarge,
                code: "request_too_large"
            )
            #expect(try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"small"}"#).status == .ok)
        }
    }

    /// The configured limit applies before anything reads the body (here body
    /// capture, which runs first), and the 413 names the configured limit.
    @Test func configuredLimitAppliesToBodyCaptureAndIsNamed() async throws {
        let portico = try await TestPortico.make { $0.server.maxBodyBytes = 3 * 1_048_576 }
        try await portico.runtime.billing.updateOrganization(id: portico.organizationID, plan: nil, bodyCapture: true, by: .cli)
        try await portico.run { (api: APIClient) async throws in
            // URLSession, whose timeout a test may set: megabytes in a debug build on a loaded machine
            // can take longer than the test client's fixed 20 s without a byte back.
            let url = "http://127.0.0.1:\(try #require(api.client.port))"
            let twoMiB = #"{"type":"blob.stored","data":{"blob":"\#(String(repeating: "x", count: 2 * 1_048_576))"}}"#
            let accepted = try await HTTP.exchange("POST", url + "/v1/events", key: portico.testKey, json: twoMiB, timeout: 300)
            #expect(accepted.status == 200, "\(accepted.body)")
            let overLimit = String(repeating: " ", count: 3 * 1_048_576) + "{}"
            let refused = try await HTTP.exchange("POST", url + "/v1/customers", key: portico.testKey, json: overLimit, timeout: 300)
            #expect(refused.status == 413)
            #expect(refused.headers["Content-Type"] as? String == "application/problem+json")
            #expect(refused.body["code"] as? String == "request_too_large")
            #expect((refused.body["detail"] as? String)?.contains("\(3 * 1_048_576) bytes") == true)
        }
    }

    /// A chunked body (no Content-Length) past the limit is a 413 problem, not a 500.
    @Test func chunkedBodyOverTheLimitIs413() async throws {
        let portico = try await TestPortico.make { $0.server.maxBodyBytes = 1_024 }
        try await portico.run { (api: APIClient) async throws in
            let port = try #require(api.client.port)
            let connection = try RawHTTPConnection(port: port)
            let chunk = String(repeating: "x", count: 800)
            connection.send(
                "POST /v1/customers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(portico.testKey)\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "320\r\n\(chunk)\r\n320\r\n\(chunk)\r\n0\r\n\r\n"
            )
            let reply = await connection.blocking { $0.read(until: "}") }
            #expect(reply.hasPrefix("HTTP/1.1 413"), "\(reply.prefix(200))")
            #expect(reply.contains("request_too_large"))
            #expect(reply.contains("limit of 1024 bytes"))
        }
    }

    /// RFC 6750: every 401 names the Bearer scheme and realm; a bad key says `invalid_token`.
    @Test func refusalsCarryABearerChallenge() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let missing = try await api.send(.get, "/v1/customers")
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == #"Bearer realm="portico""#)
            let invalid = try await api.send(.get, "/v1/customers", key: "sk_test_nope")
            #expect(invalid.headers[.wwwAuthenticate] == #"Bearer realm="portico", error="invalid_token""#)
            let readOnly = try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .publishable))
            let forbidden = try await api.send(.post, "/v1/customers", key: readOnly.secret, json: "{}")
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.headers[.wwwAuthenticate] == #"Bearer realm="portico", error="insufficient_scope""#)
            let fine = try await api.send(.get, "/v1/customers", key: portico.testKey)
            #expect(fine.headers[.wwwAuthenticate] == nil)
        }
    }

    @Test func nonJSONContentTypeIs415() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(
                .post,
                "/v1/customers",
                key: portico.testKey,
                json: "name=Ada",
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            Self.expectProblem(response, status: .unsupportedMediaType, code: "unsupported_media_type")
            let charset = try await api.send(
                .post,
                "/v1/customers",
                key: portico.testKey,
                json: #"{"name":"Ada"}"#,
                headers: [.contentType: "application/json; charset=utf-8"]
            )
            #expect(charset.status == .ok)
        }
    }

    @Test func internalErrorIs500WithRequestIDAndNoInternals() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            try await portico.sqliteStore.pool.write { try $0.execute(sql: "DROP TABLE customers") }
            let response = try await api.send(.get, "/v1/customers", key: portico.testKey)
            Self.expectProblem(response, status: .internalServerError, code: "internal_error")
            #expect(!response.text.localizedCaseInsensitiveContains("sqlite"))
            #expect(!response.text.contains("customers"))
            #expect((response.json["detail"] as? String)?.contains(response.requestID ?? "?") == true)
        }
    }

    @Test func everyResponseCarriesARequestID() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            var seen = Set<String>()
            for path in ["/healthz", "/readyz", "/metrics", "/v1/customers", "/nope", "/docs"] {
                let id = try #require(try await api.send(.get, path, key: portico.testKey).requestID)
                #expect(id.hasPrefix("req_"))
                #expect(id.count == 26)
                seen.insert(id)
            }
            #expect(seen.count == 6)
        }
    }
}
