import HTTPTypes
import Hummingbird
import PorticoCore

/// Registers `/v1` routes with what each declares (the scope it needs, the
/// query it takes, a usage metric, the operator's limit for it) and wraps each
/// handler in the route layers the composition root lists, composed once per
/// route. Answers 405 with an `Allow` header for a known path used with
/// another method (Hummingbird's router alone would say 404).
final class APIRoutes {
    typealias Context = PorticoRequestContext
    typealias Handler = RouteLayer.Handler

    private let group: RouterGroup<Context>
    private let admission: AdmissionControl
    private let layers: [any RouteLayer]
    private var methodsByPath: [(path: String, methods: [HTTPRequest.Method])] = []

    init(group: RouterGroup<Context>, admission: AdmissionControl, layers: [any RouteLayer]) {
        self.group = group
        self.admission = admission
        self.layers = layers
    }

    /// Which query parameters a route takes.
    enum Query {
        /// None: any query parameter is refused (400 `parameter_unknown`), whatever the method.
        case none
        /// The handler reads and checks its own (`ListQuery` and the usage report refuse unknown ones).
        case checkedByHandler
    }

    /// Adds a route; `scope` is checked against the authenticated key before
    /// the handler runs. `meter` names a usage metric counted once per
    /// successful (2xx) call, on top of `requests`.
    func on(
        _ method: HTTPRequest.Method,
        _ path: String,
        scope: Scope,
        query: Query = .none,
        meter: String? = nil,
        platformOnly: Bool = false,
        handler: @escaping Handler
    ) {
        if let index = methodsByPath.firstIndex(where: { $0.path == path }) {
            methodsByPath[index].methods.append(method)
        } else {
            methodsByPath.append((path, [method]))
        }
        let route = APIPath.prefix + RouterPath(path).description
        let spec = RouteSpec(
            method: method,
            route: route,
            scopes: [scope],
            query: query,
            meter: meter.map { Meter(metric: $0, quantity: 1) },
            limit: admission.routeLimit(method: method.rawValue, route: route),
            platformOnly: platformOnly
        )
        group.on(RouterPath(path), method: method, use: layers.chain(for: spec, around: handler))
    }

    /// Every route added, as "GET /v1/customers/{id}" (OpenAPI's path syntax): the OpenAPI test checks each is described.
    var registered: [String] {
        methodsByPath.flatMap { path, methods in
            let openAPIPath =
                "/v1/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return methods.map { "\($0.rawValue) \(openAPIPath)" }
        }
    }

    /// Installs 405 responders for every method a registered path does not serve.
    func finish() {
        let candidates: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        for (path, methods) in methodsByPath {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in candidates where !methods.contains(method) {
                group.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError(
                        .methodNotAllowed,
                        "\(request.method.rawValue) is not allowed on this path; use \(allow).",
                        headers: [.allow: allow]
                    )
                }
            }
        }
    }
}
