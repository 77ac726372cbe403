import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/v1/events`: what happened in the key's organization and mode.
///
///     POST /v1/events        events:write  {"type": "order.shipped", "data": {…}}
///     GET  /v1/events        events:read   (type — exact or `order.*` —, since, until; cursor pagination, newest first)
///     GET  /v1/events/{id}   events:read
///
/// A posted event is delivered to every enabled endpoint subscribed to its
/// type, exactly like the `customer.*` events Portico emits itself.
struct EventsController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any WebhookStore
    let clock: any PorticoClock

    func register(_ routes: APIRoutes) {
        routes.on(.post, "events", scope: .eventsWrite, handler: create)
        routes.on(.get, "events", scope: .eventsRead, query: .checkedByHandler, handler: list)
        routes.on(.get, "events/:id", scope: .eventsRead, handler: retrieve)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["type", "data"])
        guard case .string(let type)? = body.fields["type"] else {
            throw body.fields["type"] == nil
                ? APIError(.parameterMissing, "type is required.", param: "type")
                : APIError.invalid("type", "type must be a string such as \"order.shipped\".")
        }
        guard EventTypePattern.isValidType(type) else {
            throw APIError.invalid(
                "type",
                "type must be lowercase dot-delimited words (a-z, 0-9, _) such as \"order.shipped\", at most 100 characters."
            )
        }
        guard !Events.isReserved(type) else {
            throw APIError.invalid(
                "type",
                "Types starting with \(Events.reservedPrefixes.map { "'\($0)'" }.joined(separator: ", ")) are emitted by Portico only."
            )
        }
        guard let data = body.fields["data"] else { throw APIError(.parameterMissing, "data is required.", param: "data") }
        guard case .object = data else { throw APIError.invalid("data", "data must be a JSON object, not \(data.typeName).") }
        let now = clock.nowMilliseconds
        let event = EventRecord(
            id: Identifier.make("evt", at: now),
            scope: scope,
            type: type,
            data: JSONWriter.text(data),
            requestId: context.requestID,
            createdAt: now
        )
        return try await context.respond { completion in
            try await store.insertEvent(event, onlyTo: nil, completing: completion)
        } render: { _ in
            EventResource(event)
        }
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri, extra: ["type", "since", "until"])
        var filter = EventFilter(since: try QueryValue.time(query.extra["since"], "since"), until: try QueryValue.time(query.extra["until"], "until"))
        if let type = query.extra["type"] {
            guard let pattern = EventTypePattern(type) else {
                throw APIError.invalid("type", "type must be an event type (customer.created), a wildcard (customer.*) or *.")
            }
            filter.type = pattern
        }
        let page = try await store.events(scope: scope, filter: filter, page: query.page)
        return JSONCoding.response(ListEnvelope(data: page.items.lazy.map(EventResource.init), hasMore: page.hasMore, url: "/v1/events"))
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let event = try await store.event(id: id, scope: scope) else { throw APIError.notFound("event", id: id) }
        return JSONCoding.response(EventResource(event))
    }
}
