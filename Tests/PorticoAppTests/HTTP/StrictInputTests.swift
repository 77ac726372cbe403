import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp

/// Bad input is refused with a 400 that names where, and changes nothing;
/// what is accepted is returned exactly as it was sent.
struct StrictInputTests {
    @Test(arguments: [
        (#"{"name":"a","name":"b"}"#, "name", "appears more than once"),
        (#"{"metadata":{"plan":"a","plan":"b"}}"#, "metadata[plan]", "appears more than once"),
        (#"{"name":"a\u0000b"}"#, "name", "NUL"),
        (#"{"name":"a\ud800"}"#, "name", "surrogate"),
        (#"{"name":1e999}"#, "name", "out of range"),
    ])
    func refusedBodiesNameTheMemberAndCreateNothing(body: String, param: String, detail: String) async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.post, "/v1/customers", key: portico.testKey, json: body)
            ErrorTests.expectProblem(response, status: .badRequest, code: "invalid_json", param: param)
            #expect((response.json["detail"] as? String)?.contains(detail) == true, "\(response.text)")
            #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).list.isEmpty)
        }
    }

    @Test func controlCharactersAndLargeIntegersRoundTripExactly() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let created = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"tab\tbell\u0007end"}"#)
            #expect(created.status == .ok)
            let id = try #require(created.json["id"] as? String)
            let read = try await api.send(.get, "/v1/customers/\(id)", key: portico.testKey)
            #expect(read.json["name"] as? String == "tab\tbell\u{07}end")

            let exact = try await api.send(
                .post,
                "/v1/events",
                key: portico.testKey,
                json: #"{"type":"big.number","data":{"n":9007199254740992,"m":-9007199254740992}}"#
            )
            #expect(exact.status == .ok)
            #expect(exact.text.contains(#""n":9007199254740992"#))
            #expect(exact.text.contains(#""m":-9007199254740992"#))
            let tooBig = try await api.send(
                .post,
                "/v1/events",
                key: portico.testKey,
                json: #"{"type":"big.number","data":{"items":[1,9007199254740993]}}"#
            )
            ErrorTests.expectProblem(tooBig, status: .badRequest, code: "invalid_json", param: "data[items][1]")
        }
    }

    @Test func invalidUTF8AndDeepNestingAreRefused() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            var headers: HTTPFields = [.authorization: "Bearer \(portico.testKey)", .contentType: "application/json"]
            let invalid = try await api.client.executeRequest(
                uri: "/v1/customers",
                method: .post,
                headers: headers,
                body: ByteBuffer(bytes: Array(#"{"name":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8))
            )
            ErrorTests.expectProblem(invalid, status: .badRequest, code: "invalid_json", param: "name")
            headers[.contentType] = "application/json"
            let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            let nested = try await api.send(.post, "/v1/events", key: portico.testKey, json: #"{"type":"deep.one","data":{"x":\#(deep)}}"#)
            ErrorTests.expectProblem(nested, status: .badRequest, code: "invalid_json")
            #expect((nested.json["detail"] as? String)?.contains("deeper than 64") == true)
        }
    }

    /// Unknown query parameters get the same 400 on every method, not only on lists.
    @Test func unknownQueryParametersAreRefusedOnEveryMethod() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let id = try #require(try await api.send(.post, "/v1/customers", key: portico.testKey, json: "{}").json["id"] as? String)
            let requests: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/v1/customers?foo=1", nil), (.post, "/v1/customers?foo=1", "{}"), (.get, "/v1/customers/\(id)?foo=1", nil),
                (.patch, "/v1/customers/\(id)?foo=1", "{}"), (.delete, "/v1/customers/\(id)?foo=1", nil),
            ]
            for (method, path, body) in requests {
                let response = try await api.send(method, path, key: portico.testKey, json: body)
                ErrorTests.expectProblem(response, status: .badRequest, code: "parameter_unknown", param: "foo")
            }
            #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).list.count == 1)
        }
    }

    @Test(arguments: [
        ("[1, 2.5, -0, 1e3, \"\\u00e9\\ud83d\\ude00\", true, null, {}]", true),
        ("{\"a\":1,}", false), ("[01]", false), ("[1.]", false), ("\"a\u{01}\"", false), ("{\"a\":1} x", false), ("", false),
        ("[-9007199254740993]", false), ("[\"\\x\"]", false), ("tru", false),
    ])
    func parserFollowsRFC8259(text: String, valid: Bool) {
        let result = Result { () throws(StrictJSONParser.Failure) in try StrictJSONParser.parse(Array(text.utf8)) }
        #expect(((try? result.get()) != nil) == valid, "\(text)")
    }

    @Test func parserKeepsEscapedTextAndNumbers() throws {
        let value = try StrictJSONParser.parse(Array(#"{"s":"\u00e9\ud83d\ude00\n","n":-12.5,"i":42}"#.utf8))
        #expect(value["s"] == .string("é😀\n"))
        #expect(value["n"] == .number(-12.5))
        #expect(value["i"]?.integer == 42)
    }
}
