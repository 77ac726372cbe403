/// A route as written in `rate_limits.routes`: method and path pattern, the
/// same pattern the router reports as the matched endpoint (`/v1/customers/:id`).
package struct RouteLimitKey: Hashable, Sendable {
    package var method: String
    package var path: String

    package init?(route: String) {
        let parts = route.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[1].hasPrefix(APIPath.prefix + "/") else { return nil }
        method = parts[0].uppercased()
        path = String(parts[1])
    }

    package init(method: String, path: String) {
        self.method = method
        self.path = path
    }
}
