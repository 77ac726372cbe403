import PorticoCore

/// The response headers every `/v1` answer carries, declared once under
/// `components.headers` and referenced from each response, so clients and
/// their generators know `Request-Id`, the rate-limit headers, replays and
/// version notices exist.
enum ResponseHeaders {
    private static func header(_ description: String, _ schema: JSONValue, required: Bool = false) -> JSONValue {
        ["description": .string(description), "required": .bool(required), "schema": schema]
    }

    private static let text: JSONValue = ["type": "string"]
    private static let seconds: JSONValue = ["type": "integer", "minimum": 0]

    static let components: [String: JSONValue] = [
        "Request-Id": header("This request's id (`req_…`): quote it when asking for help; the request log finds it.", text, required: true),
        "RateLimit-Policy": header(
            "The limits that applied, as in draft-ietf-httpapi-ratelimit-headers: `\"key-minute\";q=100;w=60, …`.",
            text
        ),
        "RateLimit": header("What is left of each limit: `\"key-minute\";r=99;t=60, …` (`r` requests, `t` seconds to reset).", text),
        "X-RateLimit-Limit": header("The quota of the limit closest to refusing.", seconds),
        "X-RateLimit-Remaining": header("How many more requests that limit lets through now.", seconds),
        "X-RateLimit-Reset": header("Seconds until that limit has fully recovered (not a timestamp).", seconds),
        "Retry-After": header("On a 429 or 503: seconds to wait before trying again.", seconds),
        "Idempotent-Replayed": header(
            "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
            ["type": "string", "enum": ["true"]]
        ),
        "Portico-Version": header("The API version this answer is shaped for.", text),
        "Deprecation": header("On a deprecated version: when it was deprecated (RFC 9745, `@<unix seconds>`).", text),
        "Sunset": header("On a deprecated version: after when it may stop working (RFC 8594, an HTTP date).", text),
    ]

    private static func refs(_ names: [String]) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, ["$ref": .string("#/components/headers/\($0)")] as JSONValue) })
    }

    private static let common = [
        "Request-Id", "RateLimit-Policy", "RateLimit", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Portico-Version",
        "Deprecation", "Sunset",
    ]

    /// A success's headers; a POST's may say it was replayed.
    static func success(post: Bool) -> [String: JSONValue] { refs(common + (post ? ["Idempotent-Replayed"] : [])) }

    /// A problem's headers.
    static let problem = refs(common + ["Retry-After"])
}
