import HTTPTypes
import Hummingbird

/// Registers `/v1` routes with the scope each needs, and answers 405 with an
/// `Allow` header for a known path used with another method (Hummingbird's
/// router alone would say 404).
final class APIRoutes {
    typealias Context = PorticoRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    private let group: RouterGroup<Context>
    private var methodsByPath: [(path: String, methods: [HTTPRequest.Method])] = []

    init(group: RouterGroup<Context>) {
        self.group = group
    }

    /// Adds a route; `scope` is checked against the authenticated key before the handler runs.
    func on(_ method: HTTPRequest.Method, _ path: String, scope: String, handler: @escaping Handler) {
        if let index = methodsByPath.firstIndex(where: { $0.path == path }) {
            methodsByPath[index].methods.append(method)
        } else {
            methodsByPath.append((path, [method]))
        }
        group.on(RouterPath(path), method: method) { request, context in
            guard try context.requirePrincipal().scopes.contains(scope) else {
                throw APIError(.insufficientScope, "This API key does not have the '\(scope)' scope this request needs.")
            }
            return try await handler(request, context)
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
                        .methodNotAllowed, "\(request.method.rawValue) is not allowed on this path; use \(allow).",
                        headers: [.allow: allow])
                }
            }
        }
    }
}
