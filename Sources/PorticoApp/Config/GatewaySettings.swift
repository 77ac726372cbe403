import Foundation
import PorticoCore

/// The `gateway` section: the team's own API put behind Portico.
///
/// ```json
/// "gateway": {
///   "scopes": {"orders:read": "Read orders"},
///   "metrics": {"tokens": "Model tokens generated"},
///   "routes": [{"path": "/v1/orders/{id}", "methods": ["GET"], "upstream": "http://10.0.0.5:9000",
///               "test_upstream": "http://10.0.0.6:9000", "scopes": ["orders:read"]}]
/// }
/// ```
///
/// This reads and type-checks the fields; `GatewayTable` checks what needs
/// several of them (declared scopes, overlapping routes, Portico's own paths).
public struct GatewayConfig: Sendable, Equatable {
    /// Custom scopes keys can hold, with the description the dashboard shows.
    public var scopes: [String: String] = [:]
    /// Custom usage metrics routes and upstreams may report, with their descriptions.
    public var metrics: [String: String] = [:]
    public var routes: [Route] = []
    /// Connections open to one upstream (host and port) at most; more concurrent requests wait for one.
    /// Read at start (a reload does not change it).
    public var maxConnectionsPerUpstream = 128
    /// Seconds an idle upstream connection is kept for reuse. Below the upstream's own keep-alive
    /// timeout (Node's is 5 s), so a request is not sent on a connection the upstream is closing.
    /// Read at start.
    public var upstreamKeepaliveSeconds = 4

    public init() {}

    public struct Route: Sendable, Equatable {
        /// A template under `/v1/`: literal segments, `{name}` segments, an optional trailing `/*`.
        public var path: String
        public var methods: [String]
        /// The live upstream's base URL.
        public var upstream: String
        /// The test upstream's base URL; nil: test keys are refused on this route.
        public var testUpstream: String?
        /// Every scope a key must hold to call the route.
        public var scopes: [String]
        /// A declared metric counted `cost` times per successful call.
        public var metric: String?
        public var cost = 1
        /// A rate limit for this route on top of the plan's (`rate_limits.routes` overrides it).
        public var rateLimit: RouteLimit?
        /// Seconds the upstream has to send its response head.
        public var timeoutSeconds = 30
        /// Largest request body for this route; nil: `server.max_body_bytes`.
        public var maxBodyBytes: Int?
        /// Path of the upstream's OpenAPI document (JSON), merged into Portico's.
        public var openapi: String?
        /// Removed from the request path before the rest is appended to the upstream's base URL.
        public var stripPrefix = APIPath.prefix

        public init(path: String, methods: [String], upstream: String, scopes: [String]) {
            self.path = path
            self.methods = methods
            self.upstream = upstream
            self.scopes = scopes
        }
    }
}

enum GatewaySettings {
    /// The whole `gateway` section as one JSON value in the environment.
    static let environmentName = "PORTICO_GATEWAY"

    static func apply(environmentJSON text: String, to gateway: inout GatewayConfig) throws {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw ConfigError(description: "\(environmentName) must hold a JSON object (the gateway section)")
        }
        gateway = try parse(value)
    }

    private static let sectionFields: Set<String> = ["scopes", "metrics", "routes", "max_connections_per_upstream", "upstream_keepalive_seconds"]
    private static let routeFields: Set<String> = [
        "path", "methods", "upstream", "test_upstream", "scopes", "metric", "cost", "rate_limit",
        "timeout_seconds", "max_body_bytes", "openapi", "strip_prefix",
    ]

    static func parse(_ value: JSONValue) throws -> GatewayConfig {
        let fields = try ConfigFields.object(value, "gateway", allowed: sectionFields)
        var gateway = GatewayConfig()
        if let scopes = fields["scopes"] { gateway.scopes = try descriptions(scopes, "gateway.scopes") }
        if let metrics = fields["metrics"] { gateway.metrics = try descriptions(metrics, "gateway.metrics") }
        if let value = fields["max_connections_per_upstream"] {
            gateway.maxConnectionsPerUpstream = try integer(value, "gateway.max_connections_per_upstream", 1...100_000)
        }
        if let value = fields["upstream_keepalive_seconds"] {
            gateway.upstreamKeepaliveSeconds = try integer(value, "gateway.upstream_keepalive_seconds", 1...3_600)
        }
        if let routes = fields["routes"] {
            guard case .array(let list) = routes else { throw ConfigError(description: "setting \"gateway.routes\" must be a list") }
            gateway.routes = try list.enumerated().map { index, route in try parseRoute(route, "gateway.routes[\(index)]") }
        }
        return gateway
    }

    private static func parseRoute(_ value: JSONValue, _ name: String) throws -> GatewayConfig.Route {
        let fields = try ConfigFields.object(value, name, allowed: routeFields)
        func required(_ field: String) throws -> JSONValue {
            guard let value = fields[field] else { throw ConfigError(description: "setting \"\(name).\(field)\" is required") }
            return value
        }
        var route = GatewayConfig.Route(
            path: try ConfigFields.string(required("path"), "\(name).path"),
            methods: try strings(required("methods"), "\(name).methods").map { $0.uppercased() },
            upstream: try ConfigFields.string(required("upstream"), "\(name).upstream"),
            scopes: try strings(required("scopes"), "\(name).scopes")
        )
        if let value = fields["test_upstream"], value != .null { route.testUpstream = try ConfigFields.string(value, "\(name).test_upstream") }
        if let value = fields["metric"], value != .null { route.metric = try ConfigFields.string(value, "\(name).metric") }
        if let value = fields["cost"] { route.cost = try integer(value, "\(name).cost", 1...1_000_000) }
        if let value = fields["timeout_seconds"] { route.timeoutSeconds = try integer(value, "\(name).timeout_seconds", 1...3_600) }
        if let value = fields["max_body_bytes"], value != .null {
            route.maxBodyBytes = try integer(value, "\(name).max_body_bytes", 0...1_073_741_824)
        }
        if let value = fields["openapi"], value != .null { route.openapi = try ConfigFields.string(value, "\(name).openapi") }
        if let value = fields["strip_prefix"] {
            guard case .string(let prefix) = value else {
                throw ConfigError(description: "setting \"\(name).strip_prefix\" must be a string (\"\" strips nothing)")
            }
            route.stripPrefix = prefix
        }
        if let value = fields["rate_limit"], value != .null {
            let limit = try ConfigFields.object(value, "\(name).rate_limit", allowed: ["per_second", "per_minute"])
            route.rateLimit = RouteLimit(
                perSecond: try limit["per_second"].flatMap { $0 == .null ? nil : try integer($0, "\(name).rate_limit.per_second", 1...100_000_000) },
                perMinute: try limit["per_minute"].flatMap { $0 == .null ? nil : try integer($0, "\(name).rate_limit.per_minute", 1...100_000_000) }
            )
        }
        return route
    }

    // MARK: Field readers

    private static func descriptions(_ value: JSONValue, _ name: String) throws -> [String: String] {
        guard case .object(let fields) = value else {
            throw ConfigError(description: "setting \"\(name)\" must be an object of names and descriptions")
        }
        return try fields.mapValues { description in
            guard case .string(let text) = description else {
                throw ConfigError(description: "setting \"\(name)\" must map each name to a description (a string)")
            }
            return text
        }
    }

    private static func strings(_ value: JSONValue, _ name: String) throws -> [String] {
        guard case .array(let items) = value, !items.isEmpty else {
            throw ConfigError(description: "setting \"\(name)\" must be a non-empty list of strings")
        }
        return try items.map { try ConfigFields.string($0, name) }
    }

    private static func integer(_ value: JSONValue, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let number = value.integer, range.contains(number) else {
            throw ConfigError(description: "setting \"\(name)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
