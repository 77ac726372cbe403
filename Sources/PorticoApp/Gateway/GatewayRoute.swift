import Foundation
import HTTPTypes
import NIOCore
import PorticoCore

/// An upstream's base URL, parsed once: requests go to its origin, at
/// `basePath` + the rest of the path, and its text is the identity token's audience.
struct Upstream: Sendable, Equatable {
    /// The base URL as configured, without a trailing slash (`http://10.0.0.5:9000/api`).
    let base: String
    let origin: UpstreamClient.Origin
    /// The base URL's path, without a trailing slash (`/api`, or empty).
    let basePath: String

    init(_ text: String, field: String) throws {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw ConfigError(description: "setting \"\(field)\" must be an http or https URL with a host; got \"\(text)\"")
        }
        guard url.user == nil, url.password == nil, url.query == nil, url.fragment == nil else {
            throw ConfigError(description: "setting \"\(field)\" must not carry credentials, a query or a fragment")
        }
        base = text.hasSuffix("/") ? String(text.dropLast()) : text
        let tls = scheme == "https"
        origin = UpstreamClient.Origin(host: host, port: url.port ?? (tls ? 443 : 80), tls: tls)
        let path = url.path(percentEncoded: true)
        basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}

/// One `gateway.routes` entry, checked and resolved: what the gateway
/// middleware and the route layers need on every call.
struct GatewayRoute: Sendable {
    /// Its position in `gateway.routes` (errors and logs name it so).
    let index: Int
    let template: PathTemplate
    let methods: [HTTPRequest.Method]
    let live: Upstream
    let test: Upstream?
    let scopes: [Scope]
    let metric: String?
    let cost: Int
    let rateLimit: RouteLimit?
    /// Time the upstream has to send its response head.
    let timeout: TimeAmount
    let maxBodyBytes: Int
    /// The upstream's OpenAPI document, as read at load.
    let openapi: JSONValue?
    let stripPrefix: String

    var field: String { "gateway.routes[\(index)]" }

    /// The most of a proxied body Portico holds in memory, for body capture or
    /// an idempotent replay; a larger one (or one of unknown length) streams
    /// through untouched instead.
    static let maxBufferedBytes = 1_048_576

    /// What the request log keeps of a body too large to hold.
    static let notCaptured = "(not captured: a streamed body of unknown length or over 1 MiB)"

    /// Whether a body with these headers may be held in memory whole.
    static func mayBuffer(_ headers: HTTPFields) -> Bool {
        headers[.contentLength].flatMap(Int.init).map { $0 <= maxBufferedBytes } ?? false
    }

    /// The upstream a request in this mode goes to; nil: none for test mode.
    func upstream(livemode: Bool) -> Upstream? { livemode ? live : test }

    /// The request target at the upstream for a request path and query: the
    /// path minus `strip_prefix`, appended to the base URL's path.
    func target(_ upstream: Upstream, path: String, query: String?) -> String {
        let rest = path.hasPrefix(stripPrefix) ? path.dropFirst(stripPrefix.count) : path[...]
        var target = upstream.basePath + rest
        if target.isEmpty { target = "/" }
        if let query { target += "?" + query }
        return target
    }
}

extension GatewayRoute {
    /// Methods a gateway route may list.
    static let methodNames: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// Checks and resolves one route against its section (declared scopes and metrics).
    init(_ route: GatewayConfig.Route, index: Int, section: GatewayConfig, catalogue: ScopeCatalogue, serverMaxBodyBytes: Int) throws {
        let field = "gateway.routes[\(index)]"
        self.index = index
        do {
            template = try PathTemplate(route.path)
        } catch {
            throw ConfigError(description: "setting \"\(field).path\" (\"\(route.path)\") \(error)")
        }
        guard case .literal(APIPath.prefix.dropFirst())? = template.segments.first, template.segments.count >= 2 else {
            throw ConfigError(description: "setting \"\(field).path\" (\"\(route.path)\") must be under \(APIPath.prefix)/")
        }
        if let unknown = route.methods.first(where: { !Self.methodNames.contains($0) }) {
            throw ConfigError(
                description: "setting \"\(field).methods\" has \"\(unknown)\"; use \(Self.methodNames.sorted().joined(separator: ", "))"
            )
        }
        methods = route.methods.compactMap { HTTPRequest.Method($0) }
        live = try Upstream(route.upstream, field: "\(field).upstream")
        test = try route.testUpstream.map { try Upstream($0, field: "\(field).test_upstream") }
        scopes = try route.scopes.map { name in
            guard let scope = Scope(name), catalogue.contains(scope) else {
                throw ConfigError(description: "setting \"\(field).scopes\" names \"\(name)\", which is not declared in \"gateway.scopes\"")
            }
            return scope
        }
        if let metric = route.metric, section.metrics[metric] == nil {
            throw ConfigError(description: "setting \"\(field).metric\" names \"\(metric)\", which is not declared in \"gateway.metrics\"")
        }
        metric = route.metric
        cost = route.cost
        rateLimit = route.rateLimit
        timeout = .seconds(Int64(route.timeoutSeconds))
        maxBodyBytes = route.maxBodyBytes ?? serverMaxBodyBytes
        let literal = template.literalPrefix
        guard route.stripPrefix.isEmpty || literal == route.stripPrefix || literal.hasPrefix(route.stripPrefix + "/") else {
            throw ConfigError(
                description:
                    "setting \"\(field).strip_prefix\" (\"\(route.stripPrefix)\") must be \"\" or whole leading segments of \"\(route.path)\""
            )
        }
        stripPrefix = route.stripPrefix
        openapi = try route.openapi.map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(description: "setting \"\(field).openapi\": cannot read \(path)")
            }
            guard case .object(let document)? = try? StrictJSONParser.parse([UInt8](data)), document["paths"] != nil else {
                throw ConfigError(description: "setting \"\(field).openapi\": \(path) is not an OpenAPI document in JSON (an object with \"paths\")")
            }
            return .object(document)
        }
    }
}
