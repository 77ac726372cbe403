import Foundation
import HTTPTypes
import Testing

@testable import PorticoApp

/// The gateway's routes in `/v1/openapi.json` and the API reference.
struct GatewayOpenAPITests {
    static func paths(_ document: [String: Any]) -> [String: [String: Any]] {
        document["paths"] as? [String: [String: Any]] ?? [:]
    }

    @Test func upstreamOperationsAreMergedWithPorticosAdditions() async throws {
        try await GatewayFixture.run { _, api, _, _ in
            let document = try await api.send(.get, "/v1/openapi.json").json
            let paths = Self.paths(document)
            let get = try #require(paths["/v1/orders/{id}"]?["get"] as? [String: Any])
            #expect(get["operationId"] as? String == "getOrder")
            #expect(get["x-portico-scopes"] as? [String] == ["orders:read"])
            #expect((get["security"] as? [[String: [String]]])?.first?["bearerAuth"] == [])
            let responses = try #require(get["responses"] as? [String: Any])
            #expect(responses["429"] != nil && responses["default"] != nil)
            let success = try #require(responses["200"] as? [String: Any])
            #expect((success["headers"] as? [String: Any])?.keys.sorted() == ["RateLimit", "RateLimit-Policy", "Request-Id"])
            // The path-level parameter is carried into the operation.
            #expect((get["parameters"] as? [[String: Any]])?.contains { $0["name"] as? String == "id" } == true)

            let post = try #require(paths["/v1/orders"]?["post"] as? [String: Any])
            #expect((post["parameters"] as? [[String: Any]])?.contains { $0["name"] as? String == "Idempotency-Key" } == true)
            // Not served by the route: a PUT it does not allow, a path outside it.
            #expect(paths["/v1/orders/{id}"]?["put"] == nil)
            #expect((paths["/v1/invoices"]?["get"] as? [String: Any])?["operationId"] as? String == "listInvoices")
            // A route without a document is described from its configuration.
            #expect(paths["/v1/slow/{id}"]?["get"] != nil)
            // Portico's own operations are untouched.
            #expect((paths["/v1/customers/{id}"]?["get"] as? [String: Any])?["x-portico-scope"] as? String == "customers:read")

            // The upstream's Customer schema does not replace Portico's: it is renamed, and so are its references.
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let order = try #require(schemas["Order"] as? [String: Any])
            let customerRef = ((order["properties"] as? [String: Any])?["customer"] as? [String: Any])?["$ref"] as? String
            #expect(customerRef == "#/components/schemas/Route0Customer")
            #expect(schemas["Route0Customer"] != nil)
            #expect(((schemas["Customer"] as? [String: Any])?["properties"] as? [String: Any])?["loyalty_tier"] == nil)
            #expect((document["tags"] as? [[String: Any]])?.contains { $0["name"] as? String == "Orders" } == true)
        }
    }

    @Test(.requires(.python3, .pythonModule("openapi_spec_validator")))
    func theMergedDocumentIsValidOpenAPI() async throws {
        try await GatewayFixture.run { _, api, _, _ in
            let document = try await api.send(.get, "/v1/openapi.json").body
            let output = try await PorticoProcess.python(
                """
                import json, sys
                from openapi_spec_validator import validate
                validate(json.load(sys.stdin))
                print("valid")
                """,
                input: Data(buffer: document)
            )
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "valid")
        }
    }

    @Test func theReferenceListsTheGatewaysOperations() async throws {
        try await GatewayFixture.run { _, api, _, _ in
            let page = try await api.send(.get, "/docs/api")
            #expect(page.status == .ok)
            #expect(page.text.contains("id=\"getOrder\""))
            #expect(page.text.contains("GET /v1/orders/{id}"))
            #expect(page.text.contains("<code>orders:read</code>"))
            #expect(page.text.contains("What customers bought."))

            // The quickstart lists them with a first call.
            let quickstart = try await api.send(.get, "/docs")
            #expect(quickstart.text.contains("4. Your API"))
            #expect(quickstart.text.contains("<code>GET /v1/orders/{id}</code> — Retrieve an order (needs <code>orders:read</code>)"))
            #expect(quickstart.text.contains("/v1/orders/ID"))
        }
    }
}
