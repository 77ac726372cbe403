import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp
@testable import PorticoStore

/// The OpenAPI document: kept in the repository, served, complete, and true to what the server answers.
struct OpenAPITests {
    static let repositoryFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("openapi.json")

    @Test func theRepositoryCopyIsTheCompiledDocument() throws {
        let file = try String(contentsOf: Self.repositoryFile, encoding: .utf8)
        #expect(file == OpenAPI.json, "openapi.json is stale: run `swift run portico openapi > openapi.json`")
    }

    @Test func everyRegisteredRouteIsDescribedAndNothingElse() async throws {
        let portico = try await TestPortico.make(sandbox: true)
        let registered = Set(registerAPI(on: Router(context: PorticoRequestContext.self), runtime: portico.runtime, layers: []).registered)
        let described = Set(OpenAPI.operations.map { "\($0.method.uppercased()) \($0.path)" })
        #expect(registered.subtracting(described).isEmpty, "routes without an operation: \(registered.subtracting(described).sorted())")
        #expect(described.subtracting(registered).isEmpty, "operations without a route: \(described.subtracting(registered).sorted())")
        #expect(Set(OpenAPI.operations.map(\.id)).count == OpenAPI.operations.count, "operation ids are unique")
    }

    @Test func realResponsesMatchTheirSchemas() async throws {
        let portico = try await TestPortico.make(sandbox: true)
        let validator = SchemaValidator(document: OpenAPI.document)
        try await WebhookReceiver.with { receiver in
            try await portico.run { (api: APIClient) in
                let key = portico.testKey
                var checked = 0
                @discardableResult
                func call(
                    _ method: HTTPRequest.Method,
                    _ path: String,
                    _ template: String,
                    json: String? = nil,
                    expect status: Int? = nil
                ) async throws -> [String: Any] {
                    let response = try await api.send(method, path, key: key, json: json)
                    let code = Int(response.status.code)
                    if let status { #expect(code == status, "\(method) \(path): \(response.text)") }
                    let schema = try #require(
                        validator.responseSchema(method: method.rawValue, path: template, status: code),
                        "\(method) \(template) \(code) undocumented"
                    )
                    let value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
                    let problems = validator.violations(of: value, against: schema)
                    #expect(problems.isEmpty, "\(method) \(path) → \(code): \(problems)")
                    let type = response.headers[.contentType] ?? ""
                    #expect(type.hasPrefix(code < 400 ? "application/json" : "application/problem+json"))
                    checked += 1
                    return response.json
                }

                // Customers
                let customer = try await call(
                    .post,
                    "/v1/customers",
                    "/v1/customers",
                    json: #"{"name":"Ada","email":"ada@example.com","metadata":{"tier":"gold"}}"#,
                    expect: 200
                )
                let customerID = try #require(customer["id"] as? String)
                try await call(.get, "/v1/customers?limit=2", "/v1/customers", expect: 200)
                try await call(.get, "/v1/customers/\(customerID)", "/v1/customers/{id}", expect: 200)
                try await call(.patch, "/v1/customers/\(customerID)", "/v1/customers/{id}", json: #"{"description":null}"#, expect: 200)
                try await call(.get, "/v1/customers/cus_missing", "/v1/customers/{id}", expect: 404)
                try await call(.post, "/v1/customers", "/v1/customers", json: #"{"nope":1}"#, expect: 400)
                // Keys
                try await call(.get, "/v1/keys", "/v1/keys", expect: 200)
                let made = try await call(
                    .post,
                    "/v1/keys",
                    "/v1/keys",
                    json: #"{"kind":"restricted","scopes":["customers:read"],"label":"ci"}"#,
                    expect: 200
                )
                let keyID = try #require(made["id"] as? String)
                try await call(.post, "/v1/keys/verify", "/v1/keys/verify", json: #"{"key":"\#(key)"}"#, expect: 200)
                try await call(.post, "/v1/keys/verify", "/v1/keys/verify", json: #"{"key":"sk_test_nope"}"#, expect: 200)
                let rolled = try await call(.post, "/v1/keys/\(keyID)/roll", "/v1/keys/{id}/roll", json: #"{"overlap_seconds":0}"#, expect: 200)
                try await call(.post, "/v1/keys/\(try #require(rolled["id"] as? String))/revoke", "/v1/keys/{id}/revoke", expect: 200)
                // Events and webhooks
                let event = try await call(.post, "/v1/events", "/v1/events", json: #"{"type":"order.shipped","data":{"order":"o_1"}}"#, expect: 200)
                try await call(.get, "/v1/events?type=order.*", "/v1/events", expect: 200)
                try await call(.get, "/v1/events/\(try #require(event["id"] as? String))", "/v1/events/{id}", expect: 200)
                let endpoint = try await call(
                    .post,
                    "/v1/webhook-endpoints",
                    "/v1/webhook-endpoints",
                    json: #"{"url":"\#(receiver.url)","enabled_events":["*"]}"#,
                    expect: 200
                )
                let endpointID = try #require(endpoint["id"] as? String)
                try await call(.get, "/v1/webhook-endpoints", "/v1/webhook-endpoints", expect: 200)
                try await call(.get, "/v1/webhook-endpoints/\(endpointID)", "/v1/webhook-endpoints/{id}", expect: 200)
                try await call(
                    .patch,
                    "/v1/webhook-endpoints/\(endpointID)",
                    "/v1/webhook-endpoints/{id}",
                    json: #"{"description":"d"}"#,
                    expect: 200
                )
                try await call(.get, "/v1/webhook-endpoints/\(endpointID)/secret", "/v1/webhook-endpoints/{id}/secret", expect: 200)
                try await call(
                    .post,
                    "/v1/webhook-endpoints/\(endpointID)/rotate-secret",
                    "/v1/webhook-endpoints/{id}/rotate-secret",
                    json: #"{"overlap_seconds":60}"#,
                    expect: 200
                )
                try await call(.post, "/v1/webhook-endpoints/\(endpointID)/test", "/v1/webhook-endpoints/{id}/test", expect: 200)
                try await receiver.waitFor(1)
                let replay = try await call(.post, "/v1/webhook-endpoints/\(endpointID)/replay", "/v1/webhook-endpoints/{id}/replay", expect: 202)
                try await call(.get, "/v1/webhook-replays/\(try #require(replay["id"] as? String))", "/v1/webhook-replays/{id}", expect: 200)
                let deliveries = try await call(.get, "/v1/webhook-deliveries?endpoint=\(endpointID)", "/v1/webhook-deliveries", expect: 200)
                let deliveryID = try #require((deliveries["data"] as? [[String: Any]])?.first?["id"] as? String)
                _ = try await api.delivery(key: key, endpoint: endpointID, attempts: 1)
                try await call(.get, "/v1/webhook-deliveries/\(deliveryID)", "/v1/webhook-deliveries/{id}", expect: 200)
                try await call(.post, "/v1/webhook-deliveries/\(deliveryID)/retry", "/v1/webhook-deliveries/{id}/retry", expect: 202)
                // Logs, usage, invoices, sandbox clock
                await portico.flushLogs()
                let logs = try await call(.get, "/v1/request-logs?limit=5", "/v1/request-logs", expect: 200)
                let requestID = try #require((logs["data"] as? [[String: Any]])?.first?["id"] as? String)
                try await call(.get, "/v1/request-logs/\(requestID)", "/v1/request-logs/{request_id}", expect: 200)
                try await call(.get, "/v1/usage?group_by=hour", "/v1/usage", expect: 200)
                try await call(.get, "/v1/usage?group_by=key", "/v1/usage", expect: 200)
                let invoices = try await portico.runtime.billing.generateInvoices(monthStart: portico.runtime.billing.currentMonthStart)
                let invoice = try #require(invoices.first { $0.organizationId == portico.organizationID && !$0.livemode })
                try await call(.get, "/v1/invoices", "/v1/invoices", expect: 200)
                try await call(.get, "/v1/invoices/\(invoice.id)", "/v1/invoices/{id}", expect: 200)
                try await call(.get, "/v1/sandbox/clock", "/v1/sandbox/clock", expect: 200)
                try await call(.post, "/v1/sandbox/clock/advance", "/v1/sandbox/clock/advance", json: #"{"seconds":60}"#, expect: 200)
                // Deletes last.
                try await call(.delete, "/v1/webhook-endpoints/\(endpointID)", "/v1/webhook-endpoints/{id}", expect: 200)
                try await call(.delete, "/v1/customers/\(customerID)", "/v1/customers/{id}", expect: 200)
                #expect(checked == 37)

                // The document itself is served without a key.
                let served = try await api.send(.get, "/v1/openapi.json")
                #expect(served.status == .ok && served.text == OpenAPI.json)
            }
        }
    }
}
