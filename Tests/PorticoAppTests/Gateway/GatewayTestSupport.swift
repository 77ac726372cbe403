import Foundation
import HTTPTypes
import PorticoCore

@testable import PorticoApp

/// The gateway section most gateway tests run with: one live and one test
/// upstream, and a route for each kind of case.
enum GatewayFixture {
    /// A port nothing listens on (the "upstream down" route).
    static let closedPort = 9

    static func config(live: TestUpstream, test: TestUpstream) -> GatewayConfig {
        var gateway = GatewayConfig()
        gateway.scopes = ["orders:read": "Read orders", "orders:write": "Create and change orders"]
        gateway.metrics = ["tokens": "Model tokens generated"]

        var orders = GatewayConfig.Route(
            path: "/v1/orders/*",
            methods: ["GET", "POST", "DELETE"],
            upstream: live.base + "/live",
            scopes: ["orders:read"]
        )
        orders.testUpstream = test.base + "/test"
        orders.metric = "tokens"
        orders.cost = 2
        orders.openapi = writeOrdersDocument()

        var slow = GatewayConfig.Route(path: "/v1/slow/{id}", methods: ["GET"], upstream: live.base, scopes: ["orders:read"])
        slow.testUpstream = test.base
        slow.timeoutSeconds = 1

        let liveOnly = GatewayConfig.Route(path: "/v1/reports/{id}", methods: ["GET"], upstream: live.base, scopes: ["orders:read"])

        var uploads = GatewayConfig.Route(path: "/v1/uploads", methods: ["POST"], upstream: live.base, scopes: ["orders:write"])
        uploads.testUpstream = test.base
        uploads.maxBodyBytes = 1_024

        var down = GatewayConfig.Route(path: "/v1/down", methods: ["GET"], upstream: "http://127.0.0.1:\(closedPort)", scopes: ["orders:read"])
        down.testUpstream = "http://127.0.0.1:\(closedPort)"

        var limited = GatewayConfig.Route(path: "/v1/limited", methods: ["GET"], upstream: live.base, scopes: ["orders:read"])
        limited.testUpstream = test.base
        limited.rateLimit = RouteLimit(perSecond: nil, perMinute: 1)

        var unstripped = GatewayConfig.Route(path: "/v1/documents/{id}", methods: ["GET"], upstream: live.base + "/api", scopes: ["orders:read"])
        unstripped.testUpstream = test.base + "/api"
        unstripped.stripPrefix = ""

        gateway.routes = [orders, slow, liveOnly, uploads, down, limited, unstripped]
        return gateway
    }

    /// The orders upstream's own OpenAPI document: two operations under the
    /// route, one outside it, and a schema whose name Portico already uses.
    static let ordersDocument = """
        {"openapi": "3.1.0", "info": {"title": "Orders", "version": "1"},
         "tags": [{"name": "Orders", "description": "What customers bought."}],
         "paths": {
           "/orders/{id}": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
             "get": {"operationId": "getOrder", "tags": ["Orders"], "summary": "Retrieve an order",
                     "responses": {"200": {"description": "The order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}}},
             "put": {"operationId": "replaceOrder", "responses": {"200": {"description": "Not served: the route takes no PUT"}}}},
           "/orders": {"post": {"operationId": "createOrder", "tags": ["Orders"], "summary": "Create an order",
             "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]}}}},
             "responses": {"200": {"description": "The order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}}}},
           "/invoices": {"get": {"operationId": "upstreamInvoices", "responses": {"200": {"description": "Outside the route"}}}}
         },
         "components": {"schemas": {
           "Order": {"type": "object", "properties": {"id": {"type": "string"}, "customer": {"$ref": "#/components/schemas/Customer"}}},
           "Customer": {"type": "object", "properties": {"loyalty_tier": {"type": "string"}}}
         }}}
        """

    static func writeOrdersDocument() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("orders-openapi-\(UUID().uuidString).json").path
        try? ordersDocument.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A Portico in front of two fresh upstreams ("live" and "test"), run for `body`.
    static func run(
        _ adjust: @escaping @Sendable (inout PorticoConfig) -> Void = { _ in },
        _ body: @escaping @Sendable (TestPortico, APIClient, _ live: TestUpstream, _ test: TestUpstream) async throws -> Void
    ) async throws {
        try await TestUpstream.with(["live", "test"]) { upstreams in
            let (live, test) = (upstreams[0], upstreams[1])
            let portico = try await TestPortico.make { config in
                config.gateway = GatewayFixture.config(live: live, test: test)
                adjust(&config)
            }
            try await portico.run { api in try await body(portico, api, live, test) }
        }
    }
}
