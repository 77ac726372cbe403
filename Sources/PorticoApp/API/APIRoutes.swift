import HTTPTypes
import Hummingbird

/// Registers `/v1` routes with the scope each needs, the route's own rate
/// limit (when `rate_limits.routes` has one) and any usage metric it declares,
/// and answers 405 with an `Allow` header for a known path used with another
/// method (Hummingbird's router alone would say 404).
///
/// Each route runs, in order: the scope check, the query-parameter check,
/// the route's limit, idempotency (a POST's `Idempotency-Key`: replay, 409,
/// or run and store), the handler, metering. Idempotency comes after the
/// scope check on purpose: a replay hands back the stored response (a new
/// key's secret, say) only to a key allowed to make that request.
final class APIRoutes {
    typealias Context = PorticoRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    private let group: RouterGroup<Context>
    private let admission: AdmissionControl
    private let idempotency: IdempotencyMiddleware
    private var methodsByPath: [(path: String, methods: [HTTPRequest.Method])] = []

    init(group: RouterGroup<Context>, admission: AdmissionControl, idempotency: IdempotencyMiddleware) {
        self.group = group
        self.admission = admission
        self.idempotency = idempotency
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
        scope: String,
        query: Query = .none,
        meter: String? = nil,
        handler: @escaping Handler
    ) {
        if let index = methodsByPath.firstIndex(where: { $0.path == path }) {
            methodsByPath[index].methods.append(method)
        } else {
            methodsByPath.append((path, [method]))
        }
        let route = "/v1" + RouterPath(path).description
        let routeLimit = admission.routeLimit(method: method.rawValue, route: route)
        group.on(RouterPath(path), method: method) { [admission, idempotency] request, context in
            let principal = try context.requirePrincipal()
            guard principal.scopes.contains(scope) else {
                throw APIError(.insufficientScope, "This API key does not have the '\(scope)' scope this request needs.")
            }
            if query == .none, request.uri.query != nil, let unknown = request.uri.queryParameters.first?.key {
                throw APIError(.parameterUnknown, "Received unknown query parameter: \(unknown).", param: String(unknown))
            }
            if let routeLimit {
                let facts = context.facts
                if !admission.admit(principal, route: "\(method) \(route)", limit: routeLimit, into: &facts.limits) {
                    throw admission.refusal(facts.limits, principal: principal)!
                }
            }
            let response = try await idempotency.handle(request, context: context, next: handler)
            if let meter, response.headers[.idempotentReplayed] == nil { context.facts.meters.append(meter) }
            return response
        }
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
