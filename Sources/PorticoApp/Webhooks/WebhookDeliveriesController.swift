import Hummingbird
import PorticoCore
import PorticoStore

/// `/v1/webhook-deliveries`: every event owed to every endpoint, with its attempts.
///
///     GET  /v1/webhook-deliveries             webhooks:read   (endpoint, event, status; cursor pagination, newest first)
///     GET  /v1/webhook-deliveries/{id}        webhooks:read   with every attempt
///     POST /v1/webhook-deliveries/{id}/retry  webhooks:write  one more attempt now, whatever the delivery's state
struct WebhookDeliveriesController: Sendable {
    typealias Context = PorticoRequestContext
    let service: WebhookEndpointService
    var store: any WebhookStore { service.store }

    func register(_ routes: APIRoutes) {
        routes.on(.get, "webhook-deliveries", scope: .webhooksRead, query: .checkedByHandler, handler: list)
        routes.on(.get, "webhook-deliveries/:id", scope: .webhooksRead, handler: retrieve)
        routes.on(.post, "webhook-deliveries/:id/retry", scope: .webhooksWrite, handler: retry)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri, extra: ["endpoint", "event", "status"])
        let status = try QueryValue.choice(query.extra["status"], "status", WebhookDeliveryRecord.Status.allCases.map(\.rawValue))
        let filter = DeliveryFilter(
            endpointId: query.extra["endpoint"],
            eventId: query.extra["event"],
            status: status.flatMap(WebhookDeliveryRecord.Status.init)
        )
        let page = try await store.deliveries(scope: scope, filter: filter, page: query.page)
        return JSONCoding.response(
            ListEnvelope(data: page.items.map { WebhookDeliveryResource($0) }, hasMore: page.hasMore, url: "/v1/webhook-deliveries")
        )
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let (delivery, attempts) = try await store.delivery(id: id, scope: scope) else {
            throw APIError.notFound("webhook delivery", id: id)
        }
        return JSONCoding.response(WebhookDeliveryResource(delivery, attempts: attempts))
    }

    /// Makes the delivery due now; the answer (202) shows it `pending`. A
    /// delivery that was dead gets exactly one more attempt.
    @Sendable func retry(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        return try await context.respond(status: .accepted) { completion in
            try await service.retry(deliveryID: id, scope: scope, completing: completion)
        } render: { delivery in
            guard let delivery else { throw APIError.notFound("webhook delivery", id: id) }
            return WebhookDeliveryResource(delivery)
        }
    }
}
