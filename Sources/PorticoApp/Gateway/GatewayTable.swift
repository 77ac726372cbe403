import HTTPTypes
import Hummingbird
import PorticoCore
import Synchronization

/// The gateway's routes as the running server uses them. Checked as a whole
/// at start and at every reload (SIGHUP), and swapped in one step: a request
/// sees the table of the moment it matched, old or new, never a mixture.
final class GatewayTable: Sendable {
    typealias Handler = RouteLayer.Handler
    /// Builds one route's handler for one method: the route layers around the proxy.
    typealias Compose = @Sendable (GatewayRoute, HTTPRequest.Method) -> Handler

    /// A request's route, found once by the body limit and read by the gateway middleware.
    struct Match: Sendable {
        let route: GatewayRoute
        /// The handler for the request's method; nil: the route does not take it (405).
        let handler: Handler?
    }

    private struct Entry: Sendable {
        let route: GatewayRoute
        let handlers: [HTTPRequest.Method: Handler]
    }

    private struct State: Sendable {
        var definition: GatewayDefinition
        var compose: Compose?
        var entries: [Entry] = []
    }

    private let state: Mutex<State>

    init(_ definition: GatewayDefinition) {
        state = Mutex(State(definition: definition))
    }

    /// The section in force (scopes and metrics for keys, the dashboard and the OpenAPI document).
    var definition: GatewayDefinition { state.withLock { $0.definition } }

    /// Composes every route's handlers; called once, when the router is built.
    func activate(_ compose: @escaping Compose) {
        state.withLock { state in
            state.compose = compose
            state.entries = Self.entries(state.definition, compose)
        }
    }

    /// Puts a new, already checked section in force.
    func reload(_ definition: GatewayDefinition) {
        state.withLock { state in
            state.definition = definition
            state.entries = state.compose.map { Self.entries(definition, $0) } ?? []
        }
    }

    /// The first route, in config order, whose template matches `path`.
    func match(_ path: String, method: HTTPRequest.Method) -> Match? {
        let entries = state.withLock { $0.entries }
        guard !entries.isEmpty, let entry = entries.first(where: { $0.route.template.matches(path) }) else { return nil }
        return Match(route: entry.route, handler: entry.handlers[method])
    }

    private static func entries(_ definition: GatewayDefinition, _ compose: Compose) -> [Entry] {
        definition.routes.map { route in
            Entry(route: route, handlers: Dictionary(uniqueKeysWithValues: route.methods.map { ($0, compose(route, $0)) }))
        }
    }
}

/// The `gateway` section checked as a whole: every route resolved, custom
/// scopes and metrics declared, no route shadowing one of Portico's own or
/// repeating another's path and method.
struct GatewayDefinition: Sendable {
    let routes: [GatewayRoute]
    /// Portico's scopes and the declared custom ones, in the order keys offer them.
    let catalogue: ScopeCatalogue
    /// Declared custom scopes with their descriptions, by name.
    let scopeDescriptions: [String: String]
    /// Declared custom metrics with their descriptions.
    let metrics: [String: String]
    /// The routes' operations for the OpenAPI document and the reference.
    let openAPI: GatewayOpenAPI
    /// `/v1/openapi.json` as served: Portico's document with the gateway's operations, rendered at
    /// its first request (start-up and config checks never pay for it).
    var openAPIJSON: String { rendered.text }
    private let rendered: RenderedOnce
    /// Older dated versions' documents, rendered at their first request.
    private let renderedVersions = RenderedVersions()

    /// `/v1/openapi.json?version=`: the document as of `version`, the gateway's operations included.
    func openAPIJSON(version: APIVersion) -> String {
        guard version.id != APIVersions.current.id else { return openAPIJSON }
        return renderedVersions.text(for: version.id) { [openAPI] in
            openAPI.operations.isEmpty
                ? OpenAPI.versionedJSON[version.id] ?? OpenAPI.json
                : OpenAPI.render(openAPI.document(base: OpenAPI.document(for: version)))
        }
    }

    init(_ config: GatewayConfig, serverMaxBodyBytes: Int) throws {
        var custom: [(Scope, String)] = []
        for (name, description) in config.scopes.sorted(by: { $0.key < $1.key }) {
            guard let scope = Scope(name), name.range(of: "^[a-z][a-z0-9_-]{0,39}:(read|write)$", options: .regularExpression) != nil else {
                throw ConfigError(
                    description: "setting \"gateway.scopes\" has \"\(name)\"; a scope is resource:read or resource:write (a-z, 0-9, _ and -)"
                )
            }
            guard !ScopeCatalogue.builtIn.contains(scope) else {
                throw ConfigError(description: "setting \"gateway.scopes\" declares \"\(name)\", which is one of Portico's own scopes")
            }
            custom.append((scope, description))
        }
        for name in config.metrics.keys.sorted() {
            guard name.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil else {
                throw ConfigError(
                    description: "setting \"gateway.metrics\" has \"\(name)\"; a metric name is 1 to 40 of a-z, 0-9 and _, starting with a letter"
                )
            }
            guard !UsageMetric.reserved.contains(name) else {
                throw ConfigError(description: "setting \"gateway.metrics\" declares \"\(name)\", which Portico meters itself")
            }
        }
        scopeDescriptions = config.scopes
        metrics = config.metrics
        let catalogue = ScopeCatalogue(ScopeCatalogue.builtIn.scopes + custom.map(\.0))
        self.catalogue = catalogue
        routes = try config.routes.enumerated().map { index, route in
            try GatewayRoute(route, index: index, section: config, catalogue: catalogue, serverMaxBodyBytes: serverMaxBodyBytes)
        }
        try Self.checkOverlaps(routes)
        let openAPI = routes.isEmpty ? GatewayOpenAPI.none : GatewayOpenAPI(routes: routes)
        self.openAPI = openAPI
        rendered = RenderedOnce { openAPI.operations.isEmpty ? OpenAPI.json : OpenAPI.render(openAPI.document()) }
    }

    /// Portico's own `/v1` paths, which no gateway route may shadow.
    static let porticoPaths: [String] = {
        var paths: [String] = [OpenAPI.path]
        for operation in OpenAPI.operations where !paths.contains(operation.path) { paths.append(operation.path) }
        return paths
    }()

    private static func checkOverlaps(_ routes: [GatewayRoute]) throws {
        for route in routes {
            for path in porticoPaths {
                guard let own = try? PathTemplate(path), route.template.overlaps(own) else { continue }
                throw ConfigError(
                    description: "setting \"\(route.field).path\" (\"\(route.template)\") would shadow Portico's own route \"\(path)\""
                )
            }
        }
        for (later, route) in routes.enumerated() {
            for earlier in routes[..<later] where earlier.template == route.template {
                if let method = route.methods.first(where: earlier.methods.contains) {
                    throw ConfigError(
                        description:
                            "setting \"\(route.field)\" repeats \(method.rawValue) \(route.template) of \"\(earlier.field)\"; the later route could never be reached"
                    )
                }
            }
        }
    }
}

/// Text made by `make` at its first use, then kept.
final class RenderedOnce: Sendable {
    private let make: @Sendable () -> String
    private let made = Mutex<String?>(nil)

    init(_ make: @escaping @Sendable () -> String) {
        self.make = make
    }

    var text: String {
        if let text = made.withLock({ $0 }) { return text }
        let text = make()
        made.withLock { $0 = text }
        return text
    }
}

/// Texts made on first request, one per key (the dated versions' documents): there are only ever a few.
final class RenderedVersions: Sendable {
    private let made = Mutex<[String: String]>([:])

    func text(for key: String, _ make: () -> String) -> String {
        if let text = made.withLock({ $0[key] }) { return text }
        let text = make()
        made.withLock { $0[key] = text }
        return text
    }
}
