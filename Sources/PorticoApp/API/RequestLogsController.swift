import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/v1/request-logs`: every `/v1` request of the key's organization and mode.
///
///     GET /v1/request-logs                logs:read  (status, status_class, method, path_prefix, key_id, since, until; cursor pagination, newest first)
///     GET /v1/request-logs/{request_id}   logs:read
///     GET /v1/request-logs/stream         logs:read  (status, status_class, method, path_prefix) rows as they commit, as server-sent events
///
/// Logs appear once the writer commits their batch (within `request_logs.flush_interval_ms`).
struct RequestLogsController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any RequestLogStore
    let width: Int64
    let tail: LogTail

    func register(_ routes: APIRoutes) {
        routes.on(.get, "request-logs", scope: .logsRead, query: .checkedByHandler, handler: list)
        routes.on(.get, "request-logs/stream", scope: .logsRead, query: .checkedByHandler, handler: stream)
        routes.on(.get, "request-logs/:request_id", scope: .logsRead, handler: retrieve)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri, extra: ["status", "status_class", "method", "path_prefix", "key_id", "since", "until"])
        let shared = try Self.sharedFilter { query.extra[$0] }
        let filter = RequestLogFilter(
            status: shared.status,
            statusClass: shared.statusClass,
            method: shared.method,
            pathPrefix: shared.pathPrefix,
            keyId: query.extra["key_id"],
            since: try QueryValue.time(query.extra["since"], "since"),
            until: try QueryValue.time(query.extra["until"], "until")
        )
        do {
            let page = try await store.requestLogs(scope: scope, filter: filter, page: query.page, width: width)
            return JSONCoding.response(
                ListEnvelope(data: page.items.lazy.map(RequestLogResource.init), hasMore: page.hasMore, url: "/v1/request-logs")
            )
        } catch StoreError.notFound {
            let param = query.page.startingAfter != nil ? "starting_after" : "ending_before"
            throw APIError(.invalidCursor, "\(param) names no request log of this organization and mode.", param: param)
        }
    }

    /// The filters the list and the stream share (`status`, `status_class`, `method`, `path_prefix`),
    /// read through `value` and checked, each failing with a 400 that names it.
    static func sharedFilter(
        _ value: (String) -> String?
    ) throws -> (status: Int?, statusClass: Int?, method: String?, pathPrefix: String?) {
        let statusClass = try QueryValue.choice(value("status_class"), "status_class", ["1xx", "2xx", "3xx", "4xx", "5xx"])
        return (
            try QueryValue.integer(value("status"), "status", in: 100...599),
            statusClass.flatMap { Int(String($0.prefix(1))) },
            try QueryValue.choice(value("method")?.uppercased(), "method", ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
            value("path_prefix")
        )
    }

    /// `portico logs tail`: a `ready` event, then one `request_log` event per matching row as its batch commits.
    @Sendable func stream(_ request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        try QueryValue.refuseUnknown(query.map { String($0.key) }, allowed: ["status", "status_class", "method", "path_prefix"])
        let shared = try Self.sharedFilter { query[Substring($0)].map(String.init) }
        let filter = LogTail.Filter(
            scope: principal.tenant,
            status: shared.status,
            statusClass: shared.statusClass,
            method: shared.method,
            pathPrefix: shared.pathPrefix
        )
        guard let (id, rows) = tail.subscribe(filter) else {
            throw APIError(
                .resourceLimitReached,
                "At most \(LogTail.maxPerTenant) request-log streams may be open at once per organization and mode; close one first."
            )
        }
        return EventStreamResponse.make(
            ready: ServerSentEvent(event: "ready", data: #"{"livemode":\#(principal.livemode)}"#),
            items: rows,
            event: { ServerSentEvent(event: "request_log", id: $0.requestId, data: JSONWriter.text(RequestLogResource($0))) },
            onEnd: { [tail] in tail.unsubscribe(id) }
        )
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("request_id")
        guard let entry = try await store.requestLog(requestId: id, scope: scope, width: width) else {
            throw APIError.notFound("request log", id: id)
        }
        return JSONCoding.response(RequestLogResource(entry))
    }
}

/// A request log as the API shows it; `id` is the request id.
struct RequestLogResource: JSONWritable {
    var entry: RequestLogEntry

    init(_ entry: RequestLogEntry) {
        self.entry = entry
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at", time: entry.createdAt)
            json.key("duration_ms")
            json.number(Double(entry.durationMicroseconds) / 1_000)
            json.field("id", entry.requestId)
            json.field("ip", entry.ip)
            json.field("key_id", entry.keyId)
            json.field("livemode", entry.livemode ?? false)
            json.field("method", entry.method)
            json.field("object", "request_log")
            json.field("path", entry.path)
            json.field("request_body", entry.requestBody)
            json.field("response_body", entry.responseBody)
            json.field("route", entry.route)
            json.field("status", entry.status)
            json.field("user_agent", entry.userAgent)
        }
    }
}
