/// Where the API lives: the one definition of "an API path", used by the
/// router, the gateway, the request log, the problem renderer and the
/// route-limit settings alike.
package enum APIPath {
    /// Every API route is under this prefix (`/v1/customers`).
    package static let prefix = "/v1"

    /// Whether `path` is the API's (`/v1` itself or anything under it).
    package static func contains(_ path: String) -> Bool {
        path == prefix || path.hasPrefix(under)
    }

    private static let under = prefix + "/"
}
