import Hummingbird
import HummingbirdCore
import PorticoStore

/// The query of a list request: `limit` (1–100, default 10), `starting_after`
/// or `ending_before`, plus the filters a route declares. Anything else is refused.
struct ListQuery {
    var page: PageRequest
    var extra: [String: String]

    init(_ uri: URI, extra allowedFilters: Set<String> = []) throws {
        let query = uri.queryParameters
        var limit = 10
        var extra: [String: String] = [:]
        var startingAfter: String?
        var endingBefore: String?
        for (name, value) in query {
            let name = String(name)
            let value = String(value)
            switch name {
            case "limit":
                guard let parsed = Int(value), (1...100).contains(parsed) else {
                    throw APIError.invalid("limit", "limit must be an integer from 1 to 100.")
                }
                limit = parsed
            case "starting_after": startingAfter = value
            case "ending_before": endingBefore = value
            case _ where allowedFilters.contains(name): extra[name] = value
            default:
                throw APIError.unknownParameter(name)
            }
        }
        if startingAfter != nil, endingBefore != nil {
            throw APIError.invalid("ending_before", "Use either starting_after or ending_before, not both.")
        }
        page = PageRequest(limit: limit, startingAfter: startingAfter, endingBefore: endingBefore)
        self.extra = extra
    }
}
