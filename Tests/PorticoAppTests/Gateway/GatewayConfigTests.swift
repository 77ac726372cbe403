import Foundation
import Testing

@testable import PorticoApp

/// The `gateway` section: every mistake stops start-up naming the field.
struct GatewayConfigTests {
    static func load(_ gateway: String) throws -> PorticoConfig {
        let path = try ConfigLoaderTests.write(#"{"gateway": \#(gateway)}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ConfigLoader.load(file: path, environment: [:])
    }

    static let scopes = #""scopes": {"orders:read": "Read orders"}, "metrics": {"tokens": "Tokens"}"#

    /// A section with one route: the required fields, with `fields` (`, "name": value…`) added or replacing them.
    static func route(_ fields: String) -> String {
        let base = [
            ("path", #""/v1/orders/{id}""#), ("methods", #"["GET"]"#), ("upstream", #""http://127.0.0.1:9000""#), ("scopes", #"["orders:read"]"#),
        ]
        let extra = fields.isEmpty ? "" : String(fields.dropFirst(2))
        let replaced = Set(base.map(\.0).filter { extra.contains("\"\($0)\":") })
        let kept = base.filter { !replaced.contains($0.0) }.map { "\"\($0.0)\": \($0.1)" }
        return #"{\#(scopes), "routes": [{\#((kept + (extra.isEmpty ? [] : [extra])).joined(separator: ", "))}]}"#
    }

    @Test func aCompleteRouteLoads() throws {
        let config = try Self.load(
            Self.route(
                #", "test_upstream": "http://127.0.0.1:9001/", "metric": "tokens", "cost": 3, "rate_limit": {"per_second": 5}, "timeout_seconds": 9, "max_body_bytes": 2048, "strip_prefix": "/v1/orders""#
            )
        )
        let route = try #require(config.gateway.routes.first)
        #expect(route.testUpstream == "http://127.0.0.1:9001/")
        #expect(route.cost == 3)
        #expect(route.rateLimit?.perSecond == 5)
        let resolved = try #require(try GatewayDefinition(config.gateway, serverMaxBodyBytes: 1_000).routes.first)
        #expect(resolved.target(try #require(resolved.test), path: "/v1/orders/7", query: "a=1") == "/7?a=1")
        #expect(resolved.maxBodyBytes == 2_048)
        #expect(config.gateway.upstreamKeepaliveSeconds == 4)
        #expect(try Self.load(#"{"upstream_keepalive_seconds": 30}"#).gateway.upstreamKeepaliveSeconds == 30)
    }

    @Test(arguments: [
        (route(#", "colour": "red""#), "gateway.routes[0].colour"),
        (#"{"routes": [{"path": "/v1/x", "methods": ["GET"], "upstream": "http://h"}]}"#, "gateway.routes[0].scopes"),
        (route(#", "path": "/orders/{id}""#), "gateway.routes[0].path"),
        (route(#", "path": "/v1/orders/{id}/{id}""#), "gateway.routes[0].path"),
        (route(#", "path": "/v1/orders/../admin""#), "gateway.routes[0].path"),
        (route(#", "methods": ["FETCH"]"#), "gateway.routes[0].methods"),
        (route(#", "upstream": "ftp://h""#), "gateway.routes[0].upstream"),
        (route(#", "test_upstream": "http://user:pw@h""#), "gateway.routes[0].test_upstream"),
        (route(#", "scopes": ["orders:write"]"#), "gateway.routes[0].scopes"),
        (route(#", "metric": "pages""#), "gateway.routes[0].metric"),
        (route(#", "cost": 0"#), "gateway.routes[0].cost"),
        (route(#", "timeout_seconds": 0"#), "gateway.routes[0].timeout_seconds"),
        (route(#", "strip_prefix": "/v1/ord""#), "gateway.routes[0].strip_prefix"),
        (route(#", "openapi": "/nonexistent/openapi.json""#), "gateway.routes[0].openapi"),
        (#"{"scopes": {"orders": "x"}}"#, "gateway.scopes"),
        (#"{"scopes": {"customers:read": "x"}}"#, "gateway.scopes"),
        (#"{"metrics": {"requests": "x"}}"#, "gateway.metrics"),
        (#"{"upstream_keepalive_seconds": 0}"#, "gateway.upstream_keepalive_seconds"),
    ])
    func anInvalidSettingIsNamed(gateway: String, field: String) throws {
        do {
            _ = try Self.load(gateway)
            Issue.record("accepted \(gateway)")
        } catch let error as ConfigError {
            #expect(error.description.contains("\"\(field)"), "\(error.description)")
        }
    }

    @Test(arguments: [
        ("/v1/customers/{id}", "/v1/customers/{id}"),
        ("/v1/{anything}", "/v1/openapi.json"),
        ("/v1/webhook-endpoints/*", "/v1/webhook-endpoints"),
        ("/v1/openapi.json", "/v1/openapi.json"),
    ])
    func aRouteThatWouldShadowPorticosOwnNamesBoth(path: String, own: String) throws {
        do {
            _ = try Self.load(Self.route(#", "path": "\#(path)""#))
            Issue.record("accepted \(path)")
        } catch let error as ConfigError {
            #expect(error.description.contains("gateway.routes[0].path"))
            #expect(error.description.contains("\"\(path)\""))
            #expect(error.description.contains("Portico's own route \"\(own)"), "\(error.description)")
        }
    }

    @Test func aRepeatedPathAndMethodIsRefused() throws {
        let route = #"{"path": "/v1/orders/{id}", "methods": ["GET", "POST"], "upstream": "http://h", "scopes": ["orders:read"]}"#
        let other = #"{"path": "/v1/orders/{id}", "methods": ["POST"], "upstream": "http://h", "scopes": ["orders:read"]}"#
        #expect(throws: ConfigError.self) { try Self.load(#"{\#(Self.scopes), "routes": [\#(route), \#(other)]}"#) }
    }
}
